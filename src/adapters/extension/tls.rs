//! The TLS settings of extension requests: rustls on the ring provider, chosen for this client
//! alone so no process-wide provider has to be installed, trusting the system's CA roots and,
//! optionally, the CAs of a PEM file (`NUTHATCH_EXTENSION_CA_FILE`) for private CAs. Server
//! names are verified against the endpoint's host name.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The client TLS config: the system's roots plus every certificate in `ca_file`.
///
/// # Errors
/// When `ca_file` cannot be read, holds no certificate or one rustls refuses as a root.
pub fn client_config(ca_file: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for error in &system.errors {
        tracing::warn!(%error, "cannot load the system's CA certificates");
    }
    roots.add_parsable_certificates(system.certs);
    if let Some(path) = ca_file {
        for cert in ca_file_certs(path)? {
            roots.add(cert).with_context(|| format!("unusable CA certificate in {}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the ring provider supports no safe TLS version")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The certificates of a PEM bundle; an empty one is an error, as it surely is a wrong path.
fn ca_file_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the CA file {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot parse the CA file {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "the CA file {} holds no PEM certificate", path.display());
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_error() {
        let missing = client_config(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(
            format!("{missing:#}").contains("cannot read the CA file /nonexistent/ca.pem"),
            "{missing:#}"
        );

        let empty = std::env::temp_dir().join(format!("nuthatch-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let error = client_config(Some(&empty)).unwrap_err();
        std::fs::remove_file(&empty).unwrap();
        assert!(format!("{error:#}").contains("holds no PEM certificate"), "{error:#}");
    }

    #[test]
    fn without_a_ca_file_the_system_roots_are_enough() {
        assert!(client_config(None).is_ok());
    }
}
