//! The live-log port: lines of running steps, fanned out to SSE viewers on every server while
//! the step runs (engine.md §4.4). Finished steps are read from [`crate::ports::logs`] instead.
//!
//! Each step has a stream: appended entries get a sequence number counting from 1 in append
//! order; a tail replays every entry after a given sequence number and then follows live ones
//! until the stream is closed. A closed stream keeps its entries for a grace period
//! ([`CLOSED_RETENTION`]) so late viewers and late log batches (engine.md §10.2) still work.

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::Stream;

use crate::domain::log::LogEntry;

/// How long a closed stream keeps its entries.
pub const CLOSED_RETENTION: Duration = Duration::from_secs(300);

/// One item of a tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequenced {
    /// Position in the step's stream, from 1 (the SSE `id:`).
    pub seq: u64,
    /// The line.
    pub entry: LogEntry,
}

/// The entries of a step after a position, then live ones; ends when the stream is closed.
pub type Tail = Pin<Box<dyn Stream<Item = Sequenced> + Send>>;

/// What can go wrong with live logs.
#[derive(Debug, thiserror::Error)]
pub enum LiveLogError {
    /// The backend cannot be reached.
    #[error("{backend}: {message}")]
    Unavailable {
        /// Which backend (`redis`).
        backend: &'static str,
        /// The cause, in one line.
        message: String,
    },
    /// Anything else; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Live step logs.
#[async_trait]
pub trait LiveLog: Send + Sync + 'static {
    /// Appends entries to the step's stream, creating it when needed.
    ///
    /// # Errors
    /// Only backend failures.
    async fn append(&self, step_id: i64, entries: &[LogEntry]) -> Result<(), LiveLogError>;

    /// Ends the step's stream: tails finish after the last entry; entries are kept for
    /// [`CLOSED_RETENTION`], and appends after close are still accepted in that window.
    ///
    /// # Errors
    /// Only backend failures.
    async fn close(&self, step_id: i64) -> Result<(), LiveLogError>;

    /// The entries after `after` (0 = from the start), then live ones until the stream closes.
    /// A step without a stream yet gets an open, empty one.
    ///
    /// # Errors
    /// Only backend failures.
    async fn tail(&self, step_id: i64, after: u64) -> Result<Tail, LiveLogError>;
}
