//! The ports pipeline execution runs on, chosen at start-up from the configuration and shared by
//! the HTTP API, the agent gRPC server and the schedulers.

use std::sync::Arc;

use crate::adapters::fs::log::FileLogStore;
use crate::adapters::memory::livelog::MemoryLiveLog;
use crate::adapters::memory::pubsub::MemoryPubSub;
use crate::adapters::memory::queue::MemoryQueue;
use crate::adapters::redis::Redis;
use crate::adapters::redis::livelog::RedisLiveLog;
use crate::adapters::redis::pubsub::RedisPubSub;
use crate::adapters::redis::queue::RedisQueue;
use crate::adapters::sql::{SqlQueue, SqlStore};
use crate::app::config::{EngineConfig, LogStoreKind, PubSubKind, QueueKind};
use crate::app::queue_journal::JournaledQueue;
use crate::app::queue_recovery;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::livelog::LiveLog;
use crate::ports::logs::LogStorage;
use crate::ports::pubsub::PubSub;
use crate::ports::queue::Queue;
use crate::ports::store::Store;

/// Handles to the execution ports; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Workflows waiting for agents.
    pub queue: Arc<dyn Queue>,
    /// Pipeline events for live viewers.
    pub pubsub: Arc<dyn PubSub>,
    /// Lines of running steps.
    pub livelog: Arc<dyn LiveLog>,
    /// Stored step logs.
    pub logs: Arc<dyn LogStorage>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl Engine {
    /// Opens the adapters the configuration names over an open, migrated SQL store. The memory
    /// queue is journaled in the store, and what a crashed server left in it is queued again
    /// ([`queue_recovery`]).
    ///
    /// # Errors
    /// When Redis cannot be reached, the log directory cannot be created or the recovery fails.
    pub async fn open(config: &EngineConfig, store: Arc<SqlStore>) -> anyhow::Result<Self> {
        let redis = match &config.redis_url {
            Some(url) => Some(Redis::connect(url, &config.redis_prefix).await?),
            None => None,
        };
        let needs_redis = || redis.clone().ok_or_else(|| anyhow::anyhow!("NUTHATCH_REDIS_URL is not set"));
        let lease = std::time::Duration::from_secs(config.queue_lease);
        let mut journaled = None;
        let queue: Arc<dyn Queue> = match config.queue_kind() {
            QueueKind::Memory => {
                let memory = Arc::new(MemoryQueue::with_lease(lease));
                let queue = Arc::new(JournaledQueue::new(memory, store.clone()));
                journaled = Some(queue.clone());
                queue
            }
            QueueKind::Database => Arc::new(SqlQueue::with_lease(store.clone(), lease)),
            QueueKind::Redis => Arc::new(RedisQueue::new(needs_redis()?).with_lease(lease)),
        };
        let (pubsub, livelog): (Arc<dyn PubSub>, Arc<dyn LiveLog>) = match config.pubsub_kind() {
            PubSubKind::Memory => (Arc::new(MemoryPubSub::new()), Arc::new(MemoryLiveLog::new())),
            PubSubKind::Redis => {
                let redis = needs_redis()?;
                (Arc::new(RedisPubSub::new(redis.clone())), Arc::new(RedisLiveLog::new(redis)))
            }
        };
        let logs: Arc<dyn LogStorage> = match (config.log_store, &config.log_store_file_path) {
            (LogStoreKind::File, Some(dir)) => Arc::new(FileLogStore::open(dir)?),
            (LogStoreKind::File, None) => {
                anyhow::bail!("WOODPECKER_LOG_STORE=file needs WOODPECKER_LOG_STORE_FILE_PATH")
            }
            (LogStoreKind::Database, _) => store.clone(),
        };
        let engine = Self { store, queue, pubsub, livelog, logs, clock: Arc::new(SystemClock) };
        if let Some(queue) = journaled {
            queue_recovery::recover(&engine, &queue).await?;
        }
        Ok(engine)
    }
}
