//! Client TLS settings: rustls on the ring provider, chosen per client so no process-wide
//! provider has to be installed. Server certificates are verified against the system's CA roots
//! (or those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, as for Go programs) plus, optionally,
//! the CAs of a PEM file, and names against the host dialed. Extension requests and the agent's
//! link to its server use it.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ConfigBuilder, DigitallySignedStruct, SignatureScheme, WantsVerifier};

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
    Ok(builder(ring())?.with_root_certificates(roots).with_no_client_auth())
}

/// A client TLS config that accepts any server certificate: the connection is encrypted, to
/// whoever answers. For servers with a self-signed certificate, when the operator says so
/// (`WOODPECKER_GRPC_VERIFY=false`).
///
/// # Errors
/// When the ring provider offers no safe TLS version (it always does).
pub fn unverified_client_config() -> anyhow::Result<rustls::ClientConfig> {
    let provider = ring();
    let algorithms = provider.signature_verification_algorithms;
    Ok(builder(provider)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(algorithms)))
        .with_no_client_auth())
}

fn ring() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn builder(
    provider: Arc<CryptoProvider>,
) -> anyhow::Result<ConfigBuilder<rustls::ClientConfig, WantsVerifier>> {
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the ring provider supports no safe TLS version")
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

/// Trusts every certificate, but still checks that the server holds its key (the handshake's
/// signatures), as Go's `InsecureSkipVerify` does.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, signature, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, signature, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
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
