//! The log storage port: where finished and running steps' lines are kept for good
//! (`WOODPECKER_LOG_STORE`: `database` or `file`), with retention (engine.md §4.2).

use async_trait::async_trait;

use crate::domain::log::LogEntry;

/// What can go wrong storing logs.
#[derive(Debug, thiserror::Error)]
pub enum LogStorageError {
    /// The backend cannot be reached or written.
    #[error("{backend}: {message}")]
    Unavailable {
        /// Which backend (`database`, `file`).
        backend: &'static str,
        /// The cause, in one line.
        message: String,
    },
    /// Anything else; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Stored step logs.
#[async_trait]
pub trait LogStorage: Send + Sync + 'static {
    /// Appends entries (possibly of several steps). Idempotent per `(step_id, line)`: a line
    /// sent again (agents retry) is stored once, the first copy kept.
    ///
    /// # Errors
    /// Only backend failures.
    async fn append(&self, entries: &[LogEntry]) -> Result<(), LogStorageError>;

    /// Up to `limit` entries of a step with `line >= from_line`, ordered by line.
    ///
    /// # Errors
    /// Only backend failures.
    async fn read(
        &self,
        step_id: i64,
        from_line: i32,
        limit: usize,
    ) -> Result<Vec<LogEntry>, LogStorageError>;

    /// How many lines are stored for a step (tail reads start at `count - n`).
    ///
    /// # Errors
    /// Only backend failures.
    async fn line_count(&self, step_id: i64) -> Result<i64, LogStorageError>;

    /// Deletes a step's lines; nothing to delete is not an error.
    ///
    /// # Errors
    /// Only backend failures.
    async fn delete(&self, step_id: i64) -> Result<(), LogStorageError>;
}
