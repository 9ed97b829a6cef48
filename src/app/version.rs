//! The version Nuthatch reports. Woodpecker clients refuse servers older than 3.0, so the version
//! is the Woodpecker release whose API Nuthatch serves, with Nuthatch's own version as semver
//! build metadata.

/// The Woodpecker release whose API, agent protocol and YAML Nuthatch implements.
pub const WOODPECKER_COMPAT: &str = "3.17.0";

/// Where Nuthatch's source lives (the `source` of `/version`).
pub const SOURCE: &str = "https://github.com/nuthatch-ci/nuthatch";

/// The version string reported by `/version` and the `X-WOODPECKER-VERSION` header.
pub fn version() -> String {
    format!("{WOODPECKER_COMPAT}+nuthatch.{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_a_3x_semver_with_build_metadata() {
        let v = version();
        let (core, build) = v.split_once('+').unwrap();
        let parts: Vec<u64> = core.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], 3);
        assert!(build.starts_with("nuthatch."));
    }
}
