//! A workflow's life as a Go agent drives it (engine.md §1.6): next, wait, init, update, log,
//! extend, done; cancel during wait; a lease that expires; a failing `failure: cancel` step.

use std::time::Duration;

use nuthatch::adapters::grpc::proto;
use nuthatch::domain::secret::Secret;
use nuthatch::domain::status::Status;
use nuthatch::domain::workflow::{FailureMode, Step};
use tonic::Code;

use crate::grpc::helpers::{
    AgentClient, Queued, TestServer, agent_filter, eventually, now, spawn, spawn_with,
};

const LONG: Duration = Duration::from_secs(10);

fn line(uuid: &str, line: i32, text: &str) -> proto::LogEntry {
    proto::LogEntry { step_uuid: uuid.into(), time: 1, line, r#type: 0, data: text.as_bytes().to_vec() }
}

fn step_state(uuid: &str, started: i64, finished: i64, exited: bool) -> proto::StepState {
    proto::StepState { step_uuid: uuid.into(), started, finished, exited, ..proto::StepState::default() }
}

/// Starts a long poll, queues a workflow while it waits, and returns what the poll got.
async fn next_after_push(
    server: &TestServer,
    client: &AgentClient,
    repo: &str,
    uuids: &[&str],
) -> (Queued, proto::Workflow) {
    let mut poller = client.clone();
    let poll = tokio::spawn(async move { poller.next(agent_filter()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!poll.is_finished(), "next waits while there is no work");
    let queued = server.queue_workflow(repo, uuids).await;
    let got = tokio::time::timeout(LONG, poll).await.expect("next returns after a push").unwrap().unwrap();
    (queued, got.into_inner().workflow.expect("a workflow is handed out"))
}

#[tokio::test]
async fn a_workflow_runs_through_the_go_agents_call_order_and_the_pipeline_succeeds() {
    let server = spawn().await;
    let agent = server.agent().await;
    let mut client = agent.client.clone();

    let (queued, workflow) = next_after_push(&server, &client, "octo/flow", &["step-a"]).await;
    assert_eq!(workflow.id, queued.workflow.id.to_string());
    assert_eq!(workflow.timeout, 60);
    let payload: serde_json::Value = serde_json::from_slice(&workflow.payload).unwrap();
    assert_eq!(payload, queued.config);
    assert_eq!(server.workflow(queued.workflow.id).await.agent_id, agent.id, "next locks the workflow");

    server
        .store()
        .create_secret(&Secret {
            repo_id: queued.repo.id,
            name: "token".into(),
            value: "hunter2-secret".into(),
            ..Secret::default()
        })
        .await
        .unwrap();

    let mut waiter = client.clone();
    let id = workflow.id.clone();
    let wait = tokio::spawn(async move { waiter.wait(proto::WaitRequest { id }).await });

    let started = now();
    let state = proto::WorkflowState { started, ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();
    assert_eq!(server.workflow(queued.workflow.id).await.state, Status::Running);
    let pipeline = server.store().get_pipeline(queued.pipeline.id).await.unwrap();
    assert_eq!(pipeline.status, Status::Running);

    let uuid = "step-a";
    let update = |state| proto::UpdateRequest { id: workflow.id.clone(), state: Some(state) };
    client.update(update(step_state(uuid, 0, 0, false))).await.unwrap();
    let batch = proto::LogRequest {
        log_entries: vec![
            line(uuid, 0, "hello"),
            line(uuid, 1, "token=hunter2-secret"),
            line(uuid, 2, "building"),
        ],
    };
    client.log(batch.clone()).await.unwrap();
    client.log(batch).await.unwrap();
    client.extend(proto::ExtendRequest { id: workflow.id.clone() }).await.unwrap();
    client.update(update(step_state(uuid, started, now(), true))).await.unwrap();

    let done = proto::WorkflowState { started, finished: now(), ..proto::WorkflowState::default() };
    client.done(proto::DoneRequest { id: workflow.id.clone(), state: Some(done) }).await.unwrap();
    let waited = tokio::time::timeout(LONG, wait).await.expect("wait ends with done").unwrap().unwrap();
    assert!(!waited.into_inner().canceled);

    // The agent flushes its last lines after Done.
    client.log(proto::LogRequest { log_entries: vec![line(uuid, 3, "late line")] }).await.unwrap();

    let pipeline = server.store().get_pipeline(queued.pipeline.id).await.unwrap();
    assert_eq!(pipeline.status, Status::Success);
    assert!(pipeline.finished >= started);
    let trees = server.store().list_workflows(queued.pipeline.id).await.unwrap();
    assert_eq!(trees[0].workflow.state, Status::Success);
    assert_eq!(trees[0].steps[0].state, Status::Success);

    let step_id = queued.steps[0].id;
    let stored = server.engine.logs.read(step_id, 0, 100).await.unwrap();
    let texts: Vec<String> = stored.iter().map(|e| String::from_utf8(e.data.clone()).unwrap()).collect();
    assert_eq!(texts, ["hello", "token=********", "building", "late line"], "each line once, masked");
    assert_eq!(stored.iter().map(|e| e.line).collect::<Vec<_>>(), [0, 1, 2, 3]);
}

#[tokio::test]
async fn other_agents_may_not_touch_a_locked_workflow() {
    let server = spawn().await;
    let owner = server.agent().await;
    let mut intruder = server.agent().await.client;
    let (_, workflow) = next_after_push(&server, &owner.client, "octo/locked", &["step-l"]).await;
    let state = proto::WorkflowState { started: now(), ..proto::WorkflowState::default() };
    let refused =
        intruder.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unknown);
    assert!(refused.message().contains("not allowed"), "{}", refused.message());
    let logs = proto::LogRequest { log_entries: vec![line("step-l", 0, "x")] };
    assert_eq!(intruder.log(logs).await.unwrap_err().code(), Code::Unknown);
}

#[tokio::test]
async fn a_cancel_during_wait_answers_canceled() {
    let server = spawn().await;
    let agent = server.agent().await;
    let mut client = agent.client.clone();
    let (_, workflow) = next_after_push(&server, &client, "octo/cancel", &["step-c"]).await;
    let mut waiter = client.clone();
    let id = workflow.id.clone();
    let wait = tokio::spawn(async move { waiter.wait(proto::WaitRequest { id }).await });
    let state = proto::WorkflowState { started: now(), ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();
    // The Wait call must reach the queue before the cancel: a workflow the queue no longer knows
    // reads as finished. Its ownership checks can take longer than Init on a busy machine.
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.engine.queue.cancel(std::slice::from_ref(&workflow.id)).await.unwrap();
    let waited = tokio::time::timeout(LONG, wait).await.expect("wait ends with the cancel").unwrap().unwrap();
    assert!(waited.into_inner().canceled);

    let canceled =
        proto::WorkflowState { started: now(), finished: now(), canceled: true, ..Default::default() };
    client.done(proto::DoneRequest { id: workflow.id.clone(), state: Some(canceled) }).await.unwrap();
    assert_eq!(server.workflow(workflow.id.parse().unwrap()).await.state, Status::Killed);
}

#[tokio::test]
async fn a_workflow_whose_lease_expires_fails_without_its_agent() {
    let server = spawn_with(|config| config.engine.queue_lease = 1).await;
    let agent = server.agent().await;
    let mut client = agent.client.clone();
    let (queued, workflow) = next_after_push(&server, &client, "octo/lost", &["step-x"]).await;
    let state = proto::WorkflowState { started: now(), ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();
    client
        .update(proto::UpdateRequest {
            id: workflow.id.clone(),
            state: Some(step_state("step-x", 0, 0, false)),
        })
        .await
        .unwrap();

    // The agent dies: no Extend, no Done.
    let store = server.store();
    // The pipeline is settled last, after the workflow and its steps.
    eventually(Duration::from_secs(20), "the lost workflow to fail its pipeline", || {
        let store = store.clone();
        async move { store.get_pipeline(queued.pipeline.id).await.unwrap().status == Status::Failure }
    })
    .await;
    let trees = store.list_workflows(queued.pipeline.id).await.unwrap();
    assert_eq!(trees[0].workflow.state, Status::Failure);
    assert_eq!(trees[0].workflow.error, "agent lost: lease expired");
    assert_eq!(trees[0].steps[0].state, Status::Killed);
}

#[tokio::test]
async fn a_failing_cancel_step_cancels_the_rest_of_its_pipeline() {
    let server = spawn().await;
    let mut client = server.agent().await.client;
    let (queued, workflow) = next_after_push(&server, &client, "octo/stop", &["gate", "after"]).await;
    let gate = Step { failure: FailureMode::Cancel, ..queued.steps[0].clone() };
    server.store().update_step(&gate).await.unwrap();
    let mut waiter = client.clone();
    let id = workflow.id.clone();
    let wait = tokio::spawn(async move { waiter.wait(proto::WaitRequest { id }).await });
    let started = now();
    let state = proto::WorkflowState { started, ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();

    let failed = proto::StepState { exit_code: 1, ..step_state("gate", started, now(), true) };
    client.update(proto::UpdateRequest { id: workflow.id.clone(), state: Some(failed) }).await.unwrap();

    let waited = tokio::time::timeout(LONG, wait).await.expect("wait ends with the cancel").unwrap().unwrap();
    assert!(waited.into_inner().canceled, "the agent is told to stop");
    let pipeline = server.store().get_pipeline(queued.pipeline.id).await.unwrap();
    assert_eq!(pipeline.status, Status::Killed);
    assert_eq!(pipeline.cancel_info.unwrap().canceled_by_step, gate.name);
    let steps = &server.store().list_workflows(queued.pipeline.id).await.unwrap()[0].steps;
    assert_eq!((steps[0].state, steps[1].state), (Status::Failure, Status::Canceled));

    let canceled = proto::WorkflowState { started, finished: now(), canceled: true, ..Default::default() };
    client.done(proto::DoneRequest { id: workflow.id.clone(), state: Some(canceled) }).await.unwrap();
    assert_eq!(server.workflow(queued.workflow.id).await.state, Status::Killed);
    assert_eq!(server.store().get_pipeline(queued.pipeline.id).await.unwrap().status, Status::Killed);
}
