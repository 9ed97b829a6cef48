//! The queue contract: behaviours every queue adapter must show, each an `async fn` taking a
//! [`Backend`], run unchanged against every backend by `tests/queue.rs`.
//!
//! # Layout
//! - [`memory`], [`sql`]: the backends (one factory module each).
//! - [`handout`], [`deps`], [`lifecycle`]: the behaviours.

pub mod deps;
pub mod handout;
pub mod lifecycle;
pub mod memory;
pub mod redis;
pub mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nuthatch::domain::task::Task;
use nuthatch::ports::queue::{Queue, Worker};

/// How long a hand-out that must happen may take (SQL backends re-check other servers' pushes
/// periodically).
pub const PROMPT: Duration = Duration::from_secs(5);

/// How long a poll that must stay blocked is watched.
pub const BLOCKED: Duration = Duration::from_millis(300);

/// A queue backend under test.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A handle on this test's queue whose hand-outs are leased for `lease` (every handle of
    /// one test asks for the same lease). Handles share the queue the way servers sharing one
    /// backend do.
    async fn open(&self, lease: Duration) -> Arc<dyn Queue>;
}

/// Labels from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A task of repo `a/b` in org 1 (the labels the server always sets).
pub fn task(id: &str) -> Task {
    Task {
        id: id.into(),
        name: format!("wf-{id}"),
        data: format!(r#"{{"id":"{id}"}}"#).into_bytes(),
        labels: labels(&[("repo", "a/b"), ("org-id", "1")]),
        pipeline_id: 1,
        repo_id: 1,
        ..Task::default()
    }
}

/// A task depending on `deps`.
pub fn dependent(id: &str, deps: &[&str]) -> Task {
    Task { dependencies: deps.iter().map(|d| d.to_string()).collect(), ..task(id) }
}

/// A global agent that takes any repo.
pub fn worker(agent_id: i64) -> Worker {
    Worker { agent_id, labels: labels(&[("repo", "*"), ("org-id", "*")]) }
}

/// The next hand-out for `worker`, which must come promptly.
pub async fn poll(queue: &dyn Queue, worker: &Worker) -> Task {
    let polled = tokio::time::timeout(PROMPT, queue.poll(worker)).await;
    polled.expect("no task handed out in time").unwrap().expect("poll was kicked")
}

/// Whether a poll of `worker` stays blocked (the poll is dropped afterwards).
pub async fn stays_blocked(queue: &dyn Queue, worker: &Worker) -> bool {
    tokio::time::timeout(BLOCKED, queue.poll(worker)).await.is_err()
}

/// The ids of tasks.
pub fn ids(tasks: &[Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.id.as_str()).collect()
}

/// Waits until `count` polls are blocked on `queue`.
pub async fn until_workers(queue: &dyn Queue, count: usize) {
    let deadline = tokio::time::Instant::now() + PROMPT;
    while queue.info().await.unwrap().stats.worker_count != count {
        assert!(tokio::time::Instant::now() < deadline, "{count} polls did not block in time");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
