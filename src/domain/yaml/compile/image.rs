//! Docker image reference helpers (upstream `yaml/utils/image.go`): familiar names
//! (upstream's plain match compares them), full expansion, registry domain and the
//! dynamic list match.

/// Split a reference into (domain, path, tag) with Docker's defaults.
fn split(image: &str) -> (String, String, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (name, tag) = match without_digest.rfind(':') {
        Some(i) if !without_digest[i..].contains('/') => {
            (&without_digest[..i], Some(without_digest[i + 1..].to_string()))
        }
        _ => (without_digest, None),
    };
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let domain = if domain == "index.docker.io" { "docker.io".to_string() } else { domain };
    let path = if domain == "docker.io" && !path.contains('/') { format!("library/{path}") } else { path };
    (domain, path, tag)
}

/// Registry host of an image (`docker.io` for Docker Hub).
pub fn registry_domain(image: &str) -> String {
    split(image).0
}

/// Docker's familiar name without tag: `docker.io/library/golang:1` -> `golang`.
pub fn familiar_name(image: &str) -> String {
    let (domain, path, _) = split(image);
    if domain == "docker.io" {
        path.strip_prefix("library/").unwrap_or(&path).to_string()
    } else {
        format!("{domain}/{path}")
    }
}

/// Fully expanded reference with `latest` as the default tag.
fn expanded(image: &str) -> String {
    let (domain, path, tag) = split(image);
    format!("{domain}/{path}:{}", tag.unwrap_or_else(|| "latest".into()))
}

/// Dynamic tag match: entries with `:` compare fully expanded references (a registry
/// port counts as a tag, like upstream), others compare familiar names.
pub fn match_dynamic(image: &str, list: &[String]) -> bool {
    list.iter().any(|entry| {
        if entry.contains(':') {
            expanded(entry) == expanded(image)
        } else {
            familiar_name(entry) == familiar_name(image)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_matches() {
        assert_eq!(familiar_name("docker.io/library/golang:1"), "golang");
        assert_eq!(familiar_name("index.docker.io/plugins/docker"), "plugins/docker");
        assert_eq!(familiar_name("gcr.io/x/y:2"), "gcr.io/x/y");
        assert_eq!(registry_domain("golang"), "docker.io");
        assert_eq!(registry_domain("localhost:5000/img"), "localhost:5000");
        assert!(match_dynamic("plugins/docker:20", &["plugins/docker".into()]));
        assert!(!match_dynamic("plugins/docker:20", &["plugins/docker:21".into()]));
        assert!(match_dynamic(
            "docker.io/woodpeckerci/plugin-git:2.10.0",
            &["woodpeckerci/plugin-git:2.10.0".into()]
        ));
        assert_eq!(familiar_name("plugins/gcr:latest"), familiar_name("docker.io/plugins/gcr"));
    }
}
