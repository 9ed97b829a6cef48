//! Server settings: key-value facts every server of a cluster must share (signing keys, the
//! JWT secret), kept in the store rather than in one server's memory.

/// Keys of the settings Nuthatch keeps.
pub mod keys {
    /// Secret for signing agent access tokens.
    pub const JWT_SECRET: &str = "jwt-secret";
    /// Hex Ed25519 private key for signing extension requests.
    pub const SIGNATURE_PRIVATE_KEY: &str = "signature-private-key";
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerSetting {
    /// The key, unique.
    pub key: String,
    /// The value.
    pub value: String,
}
