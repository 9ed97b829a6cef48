//! Tasks leaving the queue: done, cancel, lease expiry; duplicates and the snapshot.

use std::sync::Arc;
use std::time::Duration;

use nuthatch::domain::status::Status;
use nuthatch::ports::queue::{LEASE, Queue, QueueError, WaitOutcome};

use crate::queue_contract::{Backend, PROMPT, dependent, ids, poll, task, worker};

/// A lease short enough to expire within a test.
const SHORT_LEASE: Duration = Duration::from_millis(600);

/// Starts waiting on `id` in the background.
fn wait_on(queue: &Arc<dyn Queue>, id: &str) -> tokio::task::JoinHandle<WaitOutcome> {
    let (queue, id) = (Arc::clone(queue), id.to_string());
    tokio::spawn(async move { queue.wait(&id).await.unwrap() })
}

/// The outcome of a background wait, which must end promptly.
async fn outcome(wait: tokio::task::JoinHandle<WaitOutcome>) -> WaitOutcome {
    tokio::time::timeout(PROMPT, wait).await.expect("wait did not end in time").unwrap()
}

pub async fn a_pushed_duplicate_is_refused_and_pushes_nothing(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1")]).await.unwrap();
    let refused = queue.push(vec![task("2"), task("1")]).await;
    assert!(matches!(&refused, Err(QueueError::Duplicate(id)) if id == "1"), "{refused:?}");
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    let running = queue.push(vec![task("1")]).await;
    assert!(matches!(running, Err(QueueError::Duplicate(_))), "a running id is queued too: {running:?}");
    assert!(matches!(queue.push(vec![task("3"), task("3")]).await, Err(QueueError::Duplicate(_))));
    assert_eq!(queue.info().await.unwrap().stats.pending_count, 0);
}

pub async fn canceled_tasks_leave_the_queue_and_their_waits_see_it(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1"), task("2"), dependent("3", &["1"])]).await.unwrap();
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    let wait = wait_on(&queue, "1");
    tokio::time::sleep(Duration::from_millis(100)).await;
    queue.cancel(&["1".to_string(), "2".to_string(), "unknown".to_string()]).await.unwrap();
    assert_eq!(outcome(wait).await, WaitOutcome::Canceled);
    let info = queue.info().await.unwrap();
    assert!(info.running.is_empty());
    assert_eq!(ids(&info.pending), ["3"]);
    assert_eq!(info.pending[0].dep_status.get("1"), Some(&Status::Killed));
    assert!(matches!(queue.extend("1", 1).await, Err(QueueError::NotFound)));
}

pub async fn done_ends_waits_and_ignores_unknown_ids(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1")]).await.unwrap();
    assert_eq!(queue.wait("1").await.unwrap(), WaitOutcome::Finished, "a queued task is not running");
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    let wait = wait_on(&queue, "1");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!wait.is_finished(), "wait returned while the task runs");
    queue.done("1", Status::Success).await.unwrap();
    assert_eq!(outcome(wait).await, WaitOutcome::Finished);
    queue.done("1", Status::Success).await.unwrap();
    queue.done("unknown", Status::Failure).await.unwrap();
    assert_eq!(queue.wait("unknown").await.unwrap(), WaitOutcome::Finished);
    assert!(queue.info().await.unwrap().running.is_empty());
}

pub async fn extend_renews_only_the_holders_lease(backend: &impl Backend) {
    let queue = backend.open(SHORT_LEASE).await;
    queue.push(vec![task("1")]).await.unwrap();
    assert!(matches!(queue.extend("1", 1).await, Err(QueueError::NotFound)), "queued, not running");
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    assert!(matches!(queue.extend("1", 2).await, Err(QueueError::WrongAgent)));
    assert!(matches!(queue.extend("9", 1).await, Err(QueueError::NotFound)));
    for _ in 0..4 {
        tokio::time::sleep(SHORT_LEASE / 3).await;
        queue.extend("1", 1).await.unwrap();
    }
    assert!(queue.take_expired().await.unwrap().is_empty(), "extended past its first lease");
    assert_eq!(queue.info().await.unwrap().running[0].agent_id, 1);
}

pub async fn an_expired_lease_is_taken_exactly_once(backend: &impl Backend) {
    let queue = backend.open(SHORT_LEASE).await;
    queue.push(vec![task("1"), dependent("2", &["1"])]).await.unwrap();
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    let wait = wait_on(&queue, "1");
    assert_eq!(outcome(wait).await, WaitOutcome::Expired);
    let expired = queue.take_expired().await.unwrap();
    assert_eq!(ids(&expired), ["1"]);
    assert_eq!(expired[0].agent_id, 1);
    assert!(queue.take_expired().await.unwrap().is_empty());
    assert!(matches!(queue.extend("1", 1).await, Err(QueueError::NotFound)));
    let dependent = poll(&*queue, &worker(1)).await;
    assert_eq!((dependent.id.as_str(), dependent.dep_status.get("1")), ("2", Some(&Status::Failure)));
    assert!(queue.info().await.unwrap().pending.is_empty(), "the expired task is not queued again");
}

pub async fn racing_handles_take_an_expired_lease_exactly_once(backend: &impl Backend) {
    let (first, second) = (backend.open(SHORT_LEASE).await, backend.open(SHORT_LEASE).await);
    first.push((0..10).map(|n| task(&n.to_string())).collect()).await.unwrap();
    for _ in 0..10 {
        poll(&*second, &worker(1)).await;
    }
    first.set_paused(true).await.unwrap();
    tokio::time::sleep(SHORT_LEASE * 2).await;
    assert!(first.take_expired().await.unwrap().is_empty(), "no lease expires while paused");
    first.set_paused(false).await.unwrap();
    let mut taken = Vec::new();
    for _ in 0..5 {
        let (a, b) = tokio::join!(first.take_expired(), second.take_expired());
        taken.extend(a.unwrap());
        taken.extend(b.unwrap());
    }
    let mut taken: Vec<String> = taken.into_iter().map(|t| t.id).collect();
    taken.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_eq!(taken, (0..10).map(|n| n.to_string()).collect::<Vec<_>>());
}

pub async fn info_counts_pending_waiting_and_running_tasks(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    let empty = queue.info().await.unwrap();
    assert_eq!(empty, Default::default());
    queue.push(vec![task("1"), task("2"), dependent("3", &["2"])]).await.unwrap();
    assert_eq!(poll(&*queue, &worker(4)).await.id, "1");
    let info = queue.info().await.unwrap();
    assert_eq!(ids(&info.pending), ["2"]);
    assert_eq!(ids(&info.waiting_on_deps), ["3"]);
    assert_eq!(ids(&info.running), ["1"]);
    assert_eq!(info.running[0].agent_id, 4);
    assert_eq!(info.pending[0], task("2"));
    let stats = info.stats;
    assert_eq!(
        (stats.worker_count, stats.pending_count, stats.waiting_on_deps_count, stats.running_count),
        (0, 1, 1, 1)
    );
}
