//! Typed store errors: callers branch on these, never on driver messages.

/// What can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique key is already taken (e.g. a secret name within its scope).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The backend cannot be reached or refused the connection.
    #[error("{driver}: {message}")]
    Unavailable {
        /// Which driver (`sqlite3`, `postgres`, `mysql`).
        driver: &'static str,
        /// The cause, in one line.
        message: String,
    },
    /// Anything else: a bug or an unexpected backend answer; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
