//! How an agent call fails. Agents treat failures by kind (engine.md §1.6): they retry
//! `Unavailable`, refresh their token on `Unauthenticated`, and give up the call on anything
//! else. So a rejection the agent must not retry is [`RpcError::Rejected`] (gRPC `Unknown`, with
//! upstream's text), and only trouble that goes away by itself is [`RpcError::Unavailable`].

use crate::ports::livelog::LiveLogError;
use crate::ports::logs::LogStorageError;
use crate::ports::queue::QueueError;
use crate::ports::store::StoreError;

/// Why an agent call failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The call is refused for good (unknown workflow, wrong agent, finished workflow, ...).
    #[error("{0}")]
    Rejected(String),
    /// A backend is unreachable for now; the agent retries.
    #[error("{0}")]
    Unavailable(String),
}

impl RpcError {
    /// A rejection with this text.
    pub fn rejected(text: impl Into<String>) -> Self {
        Self::Rejected(text.into())
    }
}

/// An unexpected backend failure: logged with its cause chain, and not retried, since a lasting
/// fault would otherwise make the agent give up on the server as a whole after its retry budget.
fn unexpected(backend: &str, cause: anyhow::Error) -> RpcError {
    tracing::error!(error = format!("{cause:#}"), "{backend} failed during an agent call");
    RpcError::Rejected(cause.to_string())
}

impl From<StoreError> for RpcError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable { .. } => Self::Unavailable(error.to_string()),
            StoreError::Unknown(cause) => unexpected("store", cause),
            StoreError::NotFound(_) | StoreError::Conflict(_) => Self::Rejected(error.to_string()),
        }
    }
}

impl From<QueueError> for RpcError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Unavailable { .. } => Self::Unavailable(error.to_string()),
            QueueError::Unknown(cause) => unexpected("queue", cause),
            QueueError::NotFound | QueueError::WrongAgent | QueueError::Duplicate(_) => {
                Self::Rejected(error.to_string())
            }
        }
    }
}

impl From<LogStorageError> for RpcError {
    fn from(error: LogStorageError) -> Self {
        match error {
            LogStorageError::Unavailable { .. } => Self::Unavailable(error.to_string()),
            LogStorageError::Unknown(cause) => unexpected("log storage", cause),
        }
    }
}

impl From<LiveLogError> for RpcError {
    fn from(error: LiveLogError) -> Self {
        match error {
            LiveLogError::Unavailable { .. } => Self::Unavailable(error.to_string()),
            LiveLogError::Unknown(cause) => unexpected("live logs", cause),
        }
    }
}
