//! A certificate authority made for one test: its certificate in a PEM file a client can be told
//! to trust (`NUTHATCH_EXTENSION_CA_FILE`, `SSL_CERT_FILE`), and the server side of a certificate
//! it signed for `localhost`.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::test_server::temp_dir;

/// The CA and the `localhost` certificate it signed.
pub struct TestCa {
    /// The PEM file holding the CA's certificate.
    pub file: PathBuf,
    server: rustls::ServerConfig,
}

impl TestCa {
    /// Makes the CA, the `localhost` certificate and the PEM file.
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Nuthatch test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate().unwrap();
        let cert =
            CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], private)
            .unwrap();

        let file = temp_dir("test-ca").join("ca.pem");
        std::fs::write(&file, ca_cert.pem()).unwrap();
        Self { file, server }
    }

    /// The CA file's path.
    pub fn path(&self) -> &str {
        self.file.to_str().unwrap()
    }

    /// A server config presenting the `localhost` certificate and offering `alpn` protocols.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
        let mut config = self.server.clone();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}
