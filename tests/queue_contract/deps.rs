//! Dependencies between the tasks of one pipeline.

use std::collections::BTreeMap;

use nuthatch::domain::status::Status;
use nuthatch::ports::queue::LEASE;

use crate::queue_contract::{Backend, dependent, ids, poll, stays_blocked, task, worker};

pub async fn a_dependent_waits_for_its_dependencies_and_carries_their_status(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1"), task("2"), dependent("3", &["1", "2"]), task("4")]).await.unwrap();
    let info = queue.info().await.unwrap();
    assert_eq!(ids(&info.pending), ["1", "2", "4"]);
    assert_eq!(ids(&info.waiting_on_deps), ["3"]);

    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    assert_eq!(poll(&*queue, &worker(1)).await.id, "2");
    assert_eq!(poll(&*queue, &worker(1)).await.id, "4", "3 waits while its dependencies run");
    queue.done("1", Status::Success).await.unwrap();
    assert!(stays_blocked(&*queue, &worker(1)).await, "3 still waits for 2");
    queue.done("2", Status::Skipped).await.unwrap();
    let ready = poll(&*queue, &worker(1)).await;
    assert_eq!(ready.id, "3");
    assert_eq!(
        ready.dep_status,
        BTreeMap::from([("1".into(), Status::Success), ("2".into(), Status::Skipped)])
    );
}

pub async fn failures_and_cancels_reach_the_dependents(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1"), task("2"), dependent("3", &["1"]), dependent("4", &["2"])]).await.unwrap();
    assert_eq!(poll(&*queue, &worker(1)).await.id, "1");
    queue.done("1", Status::Failure).await.unwrap();
    queue.cancel(&["2".to_string()]).await.unwrap();
    let third = poll(&*queue, &worker(1)).await;
    assert_eq!((third.id.as_str(), third.dep_status.get("1")), ("3", Some(&Status::Failure)));
    let fourth = poll(&*queue, &worker(1)).await;
    assert_eq!((fourth.id.as_str(), fourth.dep_status.get("2")), ("4", Some(&Status::Killed)));
    assert!(!fourth.should_run());
}
