//! Which poll gets which task, and when.

use std::collections::HashSet;
use std::sync::Arc;

use nuthatch::ports::queue::{LEASE, Worker};

use crate::queue_contract::{Backend, labels, poll, stays_blocked, task, until_workers, worker};

pub async fn tasks_are_handed_out_in_push_order(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.push(vec![task("1"), task("2")]).await.unwrap();
    queue.push(vec![task("3")]).await.unwrap();
    for expected in ["1", "2", "3"] {
        let got = poll(&*queue, &worker(7)).await;
        assert_eq!(got.id, expected);
        assert_eq!(got.agent_id, 7);
        assert_eq!(got.data, task(expected).data);
    }
    assert!(stays_blocked(&*queue, &worker(7)).await);
}

pub async fn a_task_goes_to_an_agent_whose_labels_match(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    let arm = Worker {
        agent_id: 1,
        labels: labels(&[("repo", "*"), ("org-id", "*"), ("platform", "linux/arm64")]),
    };
    let amd = Worker {
        labels: labels(&[("repo", "*"), ("org-id", "*"), ("platform", "linux/amd64")]),
        ..arm.clone()
    };
    let mut on_amd = task("1");
    on_amd.labels.insert("platform".into(), "linux/amd64".into());
    queue.push(vec![on_amd, task("2")]).await.unwrap();
    assert_eq!(poll(&*queue, &arm).await.id, "2", "the arm agent skips the amd64 task");
    assert!(stays_blocked(&*queue, &arm).await);
    let other_org =
        Worker { agent_id: 2, labels: labels(&[("repo", "*"), ("org-id", "9"), ("platform", "*")]) };
    assert!(stays_blocked(&*queue, &other_org).await);
    assert_eq!(poll(&*queue, &amd).await.id, "1");
}

pub async fn the_best_scoring_waiting_worker_wins(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    let global = worker(1);
    let org = Worker { agent_id: 2, labels: labels(&[("repo", "*"), ("org-id", "1")]) };
    let global_poll = tokio::spawn({
        let queue = Arc::clone(&queue);
        async move { poll(&*queue, &global).await }
    });
    until_workers(&*queue, 1).await;
    let org_poll = tokio::spawn({
        let queue = Arc::clone(&queue);
        async move { poll(&*queue, &org).await }
    });
    until_workers(&*queue, 2).await;
    queue.push(vec![task("1")]).await.unwrap();
    let taken = org_poll.await.unwrap();
    assert_eq!((taken.id.as_str(), taken.agent_id), ("1", 2), "the org agent beats the earlier global one");
    queue.push(vec![task("2")]).await.unwrap();
    assert_eq!(global_poll.await.unwrap().id, "2");
}

pub async fn required_agent_labels_must_be_on_the_task(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    let gpu_only = Worker { agent_id: 1, labels: labels(&[("repo", "*"), ("org-id", "*"), ("!gpu", "yes")]) };
    let mut gpu = task("2");
    gpu.labels.insert("gpu".into(), "yes".into());
    queue.push(vec![task("1"), gpu]).await.unwrap();
    assert_eq!(poll(&*queue, &gpu_only).await.id, "2");
    assert!(stays_blocked(&*queue, &gpu_only).await, "a task without gpu=yes is not for this agent");
    assert_eq!(poll(&*queue, &worker(3)).await.id, "1");
}

pub async fn a_paused_queue_hands_out_nothing_until_resumed(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    queue.set_paused(true).await.unwrap();
    queue.push(vec![task("1")]).await.unwrap();
    assert!(stays_blocked(&*queue, &worker(1)).await);
    let info = queue.info().await.unwrap();
    assert!(info.paused);
    assert_eq!(info.stats.pending_count, 1);
    let blocked = tokio::spawn({
        let queue = Arc::clone(&queue);
        async move { poll(&*queue, &worker(1)).await }
    });
    until_workers(&*queue, 1).await;
    queue.set_paused(false).await.unwrap();
    assert_eq!(blocked.await.unwrap().id, "1", "resuming hands out to the blocked poll");
    assert!(!queue.info().await.unwrap().paused);
}

pub async fn a_kick_ends_the_agents_blocked_polls(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    let polls: Vec<_> = [5, 5, 6]
        .into_iter()
        .map(|agent| {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.poll(&worker(agent)).await.unwrap() })
        })
        .collect();
    until_workers(&*queue, 3).await;
    queue.kick(5).await.unwrap();
    let mut polls = polls.into_iter();
    for kicked in polls.by_ref().take(2) {
        let ended = tokio::time::timeout(crate::queue_contract::PROMPT, kicked).await;
        assert_eq!(ended.expect("kicked poll still blocked").unwrap(), None);
    }
    until_workers(&*queue, 1).await;
    queue.push(vec![task("1")]).await.unwrap();
    let other = polls.next().unwrap().await.unwrap().unwrap();
    assert_eq!((other.id.as_str(), other.agent_id), ("1", 6));
}

pub async fn a_dropped_poll_loses_no_task(backend: &impl Backend) {
    let queue = backend.open(LEASE).await;
    for round in 0..20 {
        let blocked = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.poll(&worker(1)).await }
        });
        until_workers(&*queue, 1).await;
        // Race the push against the poll's cancellation.
        let id = round.to_string();
        let (_, ()) = tokio::join!(queue.push(vec![task(&id)]), async { blocked.abort() });
        let outcome = blocked.await;
        let taken = match outcome {
            Ok(polled) => polled.unwrap().unwrap().id,
            Err(aborted) => {
                assert!(aborted.is_cancelled());
                poll(&*queue, &worker(2)).await.id
            }
        };
        assert_eq!(taken, id);
        queue.done(&id, nuthatch::domain::status::Status::Success).await.unwrap();
    }
    let info = queue.info().await.unwrap();
    assert_eq!((info.stats.pending_count, info.stats.running_count, info.stats.worker_count), (0, 0, 0));
}

pub async fn concurrent_polls_each_get_a_distinct_task(backend: &impl Backend) {
    let (first, second) = (backend.open(LEASE).await, backend.open(LEASE).await);
    let polls: Vec<_> = (0..40)
        .map(|n| {
            let queue = Arc::clone(if n % 2 == 0 { &first } else { &second });
            tokio::spawn(async move { poll(&*queue, &worker(n)).await })
        })
        .collect();
    first.push((0..25).map(|n| task(&n.to_string())).collect()).await.unwrap();
    second.push((25..40).map(|n| task(&n.to_string())).collect()).await.unwrap();
    let mut seen = HashSet::new();
    for handle in polls {
        let taken = handle.await.unwrap();
        assert!(seen.insert(taken.id.clone()), "task {} handed out twice", taken.id);
    }
    assert_eq!(seen.len(), 40);
    assert!(stays_blocked(&*first, &worker(99)).await);
}
