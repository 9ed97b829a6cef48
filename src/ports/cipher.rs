//! The cipher port: sealing credentials (secret values, registry passwords) before they are
//! stored, so a copy of the database alone does not reveal them.
//!
//! A cipher is authenticated: opening with the wrong key, the wrong associated data or a
//! tampered text fails, it never yields garbage. Implementations are pure computations (no I/O)
//! and safe to share between tasks.

/// Seals and opens values under one key.
pub trait SecretCipher: std::fmt::Debug + Send + Sync + 'static {
    /// `plaintext` sealed and bound to `associated` (e.g. the record's id), as printable text.
    ///
    /// # Errors
    /// MUST return [`CipherError::Sealing`] when no randomness could be had for the nonce or the
    /// value is too long for one message.
    fn seal(&self, plaintext: &str, associated: &str) -> Result<String, CipherError>;

    /// The plaintext of a text [`seal`](Self::seal) produced with the same `associated` data.
    ///
    /// # Errors
    /// MUST return [`CipherError::Malformed`] when `sealed` is not a sealed text at all and
    /// [`CipherError::Rejected`] when the key or the associated data differ or it was altered.
    fn open(&self, sealed: &str, associated: &str) -> Result<String, CipherError>;

    /// A fingerprint of the key that reveals nothing about it; the key check value stored in
    /// the database is this fingerprint, sealed.
    fn key_id(&self) -> String;
}

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// The text is not something this cipher produced (bad encoding, too short).
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// Authentication failed: another key, other associated data, or altered text.
    #[error("the value does not open with this key (wrong key or altered data)")]
    Rejected,
    /// Sealing failed (no randomness for a nonce, or a value too long for one message).
    #[error("cannot seal: {0}")]
    Sealing(&'static str),
}
