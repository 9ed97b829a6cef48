//! Pub/sub on Redis: `PUBLISH` to one channel per installation (`<prefix>events`), and one
//! dedicated `SUBSCRIBE` connection per subscription, so every server sharing the Redis sees
//! every event.
//!
//! A message is `<repo_id>:<0|1 public>:<event JSON>`. The Redis client buffers whatever the
//! server pushes without bound, so each subscription relays its connection into a broadcast
//! channel of [`EVENT_BUFFER`] events: a slow reader skips the oldest events, as in memory.

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::AsyncCommands;
use tokio::sync::broadcast;

use crate::adapters::memory::pubsub::{EVENT_BUFFER, lossy_subscription};
use crate::adapters::redis::Redis;
use crate::ports::pubsub::{Event, PubSub, PubSubError, Subscription};

/// Pipeline events shared by every server on one Redis.
#[derive(Clone)]
pub struct RedisPubSub {
    redis: Redis,
    channel: String,
}

impl RedisPubSub {
    /// Pub/sub on `redis`, on the channel `<prefix>events`.
    pub fn new(redis: Redis) -> Self {
        let channel = redis.key("events");
        Self { redis, channel }
    }
}

#[async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, event: Event) -> Result<(), PubSubError> {
        let mut conn = self.redis.manager.clone();
        let _: i64 = conn.publish(&self.channel, encode(&event)).await.map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self) -> Result<Subscription, PubSubError> {
        let mut pubsub = self.redis.client.get_async_pubsub().await.map_err(unavailable)?;
        // Confirmed by the server before returning: events published from now on are seen.
        pubsub.subscribe(&self.channel).await.map_err(unavailable)?;
        let (sender, receiver) = broadcast::channel(EVENT_BUFFER);
        tokio::spawn(relay(pubsub.into_on_message(), sender));
        Ok(lossy_subscription(receiver))
    }
}

/// Moves the connection's messages into the subscription's channel until the connection ends or
/// the subscription is dropped (which closes the connection).
async fn relay(mut messages: redis::aio::PubSubStream, sender: broadcast::Sender<Event>) {
    loop {
        let message = tokio::select! {
            message = messages.next() => message,
            () = sender.closed() => return,
        };
        let Some(message) = message else {
            tracing::warn!("redis event subscription ended: connection lost");
            return;
        };
        match decode(message.get_payload_bytes()) {
            Some(event) => {
                if sender.send(event).is_err() {
                    return;
                }
            }
            None => tracing::warn!(channel = message.get_channel_name(), "skipped a malformed event"),
        }
    }
}

/// `<repo_id>:<0|1>:<data>`.
fn encode(event: &Event) -> Vec<u8> {
    let mut bytes = format!("{}:{}:", event.repo_id, u8::from(event.public)).into_bytes();
    bytes.extend_from_slice(&event.data);
    bytes
}

fn decode(bytes: &[u8]) -> Option<Event> {
    let mut parts = bytes.splitn(3, |b| *b == b':');
    let repo_id = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let public = match parts.next()? {
        b"0" => false,
        b"1" => true,
        _ => return None,
    };
    Some(Event { repo_id, public, data: parts.next()?.to_vec() })
}

fn unavailable(error: redis::RedisError) -> PubSubError {
    PubSubError::Unavailable { backend: "redis", message: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_wire_format() {
        for event in [
            Event { repo_id: 7, public: true, data: br#"{"a":"b:c"}"#.to_vec() },
            Event { repo_id: -1, public: false, data: Vec::new() },
        ] {
            assert_eq!(decode(&encode(&event)), Some(event));
        }
        assert_eq!(decode(b"7:2:{}"), None);
        assert_eq!(decode(b"x:1:{}"), None);
        assert_eq!(decode(b"7"), None);
    }
}
