//! The Redis queue: every handle of a test is another server on the same keys, under a prefix
//! of the test's own on the server named by `NUTHATCH_TEST_REDIS` (default: the local one).
//! The keys are deleted when the test ends (also when it fails).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nuthatch::adapters::redis::Redis;
use nuthatch::adapters::redis::queue::RedisQueue;
use nuthatch::ports::queue::Queue;
use redis::Commands;

use crate::queue_contract::Backend;

const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

/// A key prefix no other test of any run uses.
fn unique_prefix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("nuthatch_t_{}_{nanos:x}_{}:", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The test's keys on the Redis server.
pub struct RedisBackend {
    redis: Redis,
    prefix: String,
}

/// A connection under a fresh prefix; an unreachable server fails the test.
pub async fn backend() -> RedisBackend {
    let url = std::env::var("NUTHATCH_TEST_REDIS").unwrap_or(DEFAULT_REDIS.into());
    let prefix = unique_prefix();
    let redis = Redis::connect(&url, &prefix).await.unwrap();
    RedisBackend { redis, prefix }
}

#[async_trait::async_trait]
impl Backend for RedisBackend {
    async fn open(&self, lease: Duration) -> Arc<dyn Queue> {
        Arc::new(RedisQueue::new(self.redis.clone()).with_lease(lease))
    }
}

impl Drop for RedisBackend {
    fn drop(&mut self) {
        let Ok(mut conn) = self.redis.client.get_connection() else { return };
        let keys: redis::RedisResult<Vec<String>> =
            conn.scan_match::<_, String>(format!("{}*", self.prefix)).and_then(|keys| keys.collect());
        if let Ok(keys) = keys
            && !keys.is_empty()
        {
            let _: redis::RedisResult<()> = conn.del(keys);
        }
    }
}
