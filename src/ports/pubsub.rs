//! The pub/sub port: pipeline events fanned out to every subscriber of every server
//! (engine.md §4.1), read by the `/api/stream/events` SSE endpoint.
//!
//! Delivery is at-most-once and live only: a subscriber sees the events published after it
//! subscribed, in publish order per publisher. A subscriber that falls too far behind loses the
//! oldest events rather than slowing publishers down (a browser tab must not stall the server).

use std::pin::Pin;

use async_trait::async_trait;
use futures_util::Stream;

/// One pipeline event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The repo it belongs to; subscribers filter on what the viewer may see.
    pub repo_id: i64,
    /// Whether the repo is public (upstream's `public` topic): visible to everyone.
    pub public: bool,
    /// The JSON body sent to clients: `{"repo": ..., "pipeline": ...}`.
    pub data: Vec<u8>,
}

/// A live stream of events; ends only when the backend connection is lost for good.
pub type Subscription = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// What can go wrong with pub/sub.
#[derive(Debug, thiserror::Error)]
pub enum PubSubError {
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

/// Pipeline events.
#[async_trait]
pub trait PubSub: Send + Sync + 'static {
    /// Sends an event to every current subscriber (on every server sharing the backend).
    ///
    /// # Errors
    /// Only backend failures.
    async fn publish(&self, event: Event) -> Result<(), PubSubError>;

    /// Starts receiving events published from now on.
    ///
    /// # Errors
    /// Only backend failures.
    async fn subscribe(&self) -> Result<Subscription, PubSubError>;
}
