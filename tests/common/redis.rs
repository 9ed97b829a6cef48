//! A Redis handle with a key prefix of its own per test, on the server named by
//! `NUTHATCH_TEST_REDIS` (default: the local server). A server that cannot be reached fails
//! the test.

use std::sync::atomic::{AtomicU64, Ordering};

use nuthatch::adapters::redis::Redis;

const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

/// A prefix no other test of any run uses.
pub fn unique_prefix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("nuthatch_t_{}_{nanos:x}_{}:", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A connection under `prefix` (two handles on one prefix act as two servers).
pub async fn redis(prefix: &str) -> Redis {
    let url = std::env::var("NUTHATCH_TEST_REDIS").unwrap_or(DEFAULT_REDIS.into());
    Redis::connect(&url, prefix).await.unwrap_or_else(|e| panic!("test redis at {url}: {e}"))
}
