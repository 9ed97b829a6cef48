//! Dispatch rate (issue 7) at the queue-port level: `BENCH_TASKS` (default 1000) workflows
//! queued at once, `BENCH_AGENTS` (default 50) agents each polling in a loop, taking a task and
//! reporting it done at once. Figure: tasks handed out and done per second, from the first
//! poll to the last `done`.
//! - memory queue, one handle (one server);
//! - Redis queue, two handles on one key prefix (two servers), the agents split between them.
//!
//! Run: `cargo bench --bench queue_dispatch` (Redis from `NUTHATCH_TEST_REDIS`, default the
//! local server; the keys live under a fresh prefix, removed at the end).

#[path = "common/allocator.rs"]
mod allocator;

#[allow(dead_code)]
#[path = "../tests/common/redis.rs"]
mod test_redis;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use nuthatch::adapters::memory::queue::MemoryQueue;
use nuthatch::adapters::redis::Redis;
use nuthatch::adapters::redis::queue::RedisQueue;
use nuthatch::domain::status::Status;
use nuthatch::domain::task::Task;
use nuthatch::ports::queue::{Queue, Worker};
use redis::Commands;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// One workflow per pipeline, labelled as the server labels them.
fn tasks(count: usize) -> Vec<Task> {
    (1..=count)
        .map(|n| Task {
            id: n.to_string(),
            name: "build".into(),
            data: format!(r#"{{"id":"{n}"}}"#).into_bytes(),
            labels: labels(&[("repo", "bench/repo"), ("org-id", "1"), ("platform", "linux/amd64")]),
            pipeline_id: n as i64,
            repo_id: 1,
            ..Task::default()
        })
        .collect()
}

/// Tasks per second for `agents` agents spread over `handles` draining `count` queued tasks.
async fn dispatch_rate(handles: &[Arc<dyn Queue>], count: usize, agents: usize) -> f64 {
    handles[0].push(tasks(count)).await.expect("push");
    let finished = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(tokio::sync::Notify::new());
    let start = Instant::now();
    let mut workers = Vec::new();
    for agent in 0..agents {
        let queue = handles[agent % handles.len()].clone();
        let (finished, all_done) = (finished.clone(), all_done.clone());
        workers.push(tokio::spawn(async move {
            let worker = Worker {
                agent_id: agent as i64 + 1,
                labels: labels(&[("repo", "*"), ("org-id", "*"), ("platform", "linux/amd64")]),
            };
            while let Some(task) = queue.poll(&worker).await.expect("poll") {
                queue.done(&task.id, Status::Success).await.expect("done");
                if finished.fetch_add(1, Ordering::SeqCst) + 1 == count {
                    all_done.notify_one();
                }
            }
        }));
    }
    all_done.notified().await;
    let elapsed = start.elapsed();
    for worker in workers {
        worker.abort();
    }
    count as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let count = env_or("BENCH_TASKS", 1000);
    let agents = env_or("BENCH_AGENTS", 50);

    let memory: Arc<dyn Queue> = Arc::new(MemoryQueue::new());
    let rate = dispatch_rate(&[memory], count, agents).await;
    println!("memory queue, 1 server: {count} tasks, {agents} agents: {rate:.0} tasks/s");

    let prefix = test_redis::unique_prefix();
    let (first, second) = (test_redis::redis(&prefix).await, test_redis::redis(&prefix).await);
    let servers: Vec<Arc<dyn Queue>> =
        vec![Arc::new(RedisQueue::new(first.clone())), Arc::new(RedisQueue::new(second))];
    let rate = dispatch_rate(&servers, count, agents).await;
    println!("redis queue, 2 servers: {count} tasks, {agents} agents: {rate:.0} tasks/s");
    remove_keys(&first, &prefix);
}

/// Deletes the bench's keys.
fn remove_keys(redis: &Redis, prefix: &str) {
    let mut conn = redis.client.get_connection().expect("redis connection");
    let keys: Vec<String> = conn
        .scan_match::<_, String>(format!("{prefix}*"))
        .expect("scan")
        .collect::<Result<_, _>>()
        .expect("keys");
    if !keys.is_empty() {
        let _: () = conn.del(keys).expect("del");
    }
}
