//! In-process pub/sub for a single server: one tokio broadcast channel.
//!
//! Each subscriber has a view of the channel's ring buffer of [`EVENT_BUFFER`] events; one that
//! falls further behind skips the oldest events it missed and keeps going, so a slow viewer never
//! slows a publisher down (engine.md §4.1).

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::ports::pubsub::{Event, PubSub, PubSubError, Subscription};

/// How many events a subscriber may lag behind before it loses the oldest.
pub const EVENT_BUFFER: usize = 1024;

/// Pipeline events fanned out within this process.
#[derive(Debug)]
pub struct MemoryPubSub {
    sender: broadcast::Sender<Event>,
}

impl MemoryPubSub {
    /// A pub/sub without subscribers.
    pub fn new() -> Self {
        Self { sender: broadcast::channel(EVENT_BUFFER).0 }
    }
}

impl Default for MemoryPubSub {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PubSub for MemoryPubSub {
    async fn publish(&self, event: Event) -> Result<(), PubSubError> {
        // Without subscribers the event has nobody to reach: that is not an error.
        let _ = self.sender.send(event);
        Ok(())
    }

    async fn subscribe(&self) -> Result<Subscription, PubSubError> {
        Ok(lossy_subscription(self.sender.subscribe()))
    }
}

/// The events of a broadcast receiver as a subscription that skips what it lagged behind on.
/// Shared with the Redis adapter, which relays its connection into such a channel.
pub(crate) fn lossy_subscription(receiver: broadcast::Receiver<Event>) -> Subscription {
    Box::pin(BroadcastStream::new(receiver).filter_map(|item| async move {
        match item {
            Ok(event) => Some(event),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                tracing::debug!(missed, "slow event subscriber skipped events");
                None
            }
        }
    }))
}
