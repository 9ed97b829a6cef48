//! Redis adapters for several servers sharing one queue, pub/sub and live logs.
//!
//! Every key starts with a prefix (`NUTHATCH_REDIS_PREFIX`, default `nuthatch:`) so that tests
//! and several installations can share one Redis.

pub mod livelog;
pub mod pubsub;
pub mod queue;

use redis::aio::ConnectionManager;

/// A Redis connection with the key prefix of this installation.
#[derive(Clone)]
pub struct Redis {
    /// For dedicated connections (blocking reads, subscriptions).
    pub client: redis::Client,
    /// A shared, reconnecting connection for ordinary commands.
    pub manager: ConnectionManager,
    prefix: String,
}

impl Redis {
    /// Connects to `url` (`redis://host:port/db`).
    ///
    /// # Errors
    /// When the URL is malformed or the server does not answer.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("redis: bad url {url}: {e}"))?;
        let manager = ConnectionManager::new(client.clone())
            .await
            .map_err(|e| anyhow::anyhow!("redis: cannot connect to {url}: {e}"))?;
        Ok(Self { client, manager, prefix: prefix.to_owned() })
    }

    /// The full key for `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}
