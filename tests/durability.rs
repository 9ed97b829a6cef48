//! Black-box durability and load tests of the real `nuthatch server` binary:
//! - workflows queued on any queue (the default memory queue, the SQL tasks table, Redis)
//!   survive a crash (SIGKILL): after a restart an agent gets each of them exactly once, and
//!   their pipelines finish; on the memory queue a workflow that was running runs again;
//! - a burst of concurrent pipeline creations on the default SQLite store loses none and never
//!   runs into "database is locked".

#[allow(dead_code)]
#[path = "common/server.rs"]
mod test_server;

#[allow(dead_code)]
#[path = "common/redis.rs"]
mod test_redis;

#[path = "common/git.rs"]
mod git;
#[path = "common/process.rs"]
mod server_process;

#[path = "grpc/agent.rs"]
mod agent;

use std::collections::BTreeSet;
use std::time::Duration;

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::grpc::proto;
use serde_json::Value;

use crate::agent::{AgentClient, agent_filter, system_agent};
use crate::git::commit_and_push;
use crate::server_process::{PROCESS_AGENT_SECRET, ServerProcess};
use crate::test_server::temp_dir;

/// A pipeline with one step.
const ONE_STEP: &str = "steps:\n  - name: build\n    image: alpine\n    commands: [echo hi]\n";

/// A server process with `admin/hello` at its built-in forge, holding a `.woodpecker.yaml` on
/// `main` (pushed before activation, so no webhook creates a pipeline), activated.
struct Project {
    server: ServerProcess,
    client: reqwest::Client,
    token: String,
    repo_id: i64,
}

impl Project {
    async fn start(env: &[(&str, &str)]) -> Self {
        let server = ServerProcess::start(temp_dir("durability"), env);
        let forge = LocalForge::open(server.data_dir.join("repos"), "http://localhost").await.unwrap();
        let repo = forge.create_repo("admin", "hello").await.unwrap();
        let work = temp_dir("durability-work");
        commit_and_push(&work, &repo.clone_url, &[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
        std::fs::remove_dir_all(work).unwrap();

        let client = reqwest::Client::new();
        let token = server.admin_token();
        let activated = client
            .post(server.url(&format!("/api/repos?forge_remote_id={}", repo.forge_remote_id)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(activated.status(), 200, "activation");
        let repo_id = activated.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        Self { server, client, token, repo_id }
    }

    /// Starts a manual pipeline on `main`; returns the HTTP status.
    async fn run_manual(&self) -> reqwest::StatusCode {
        self.client
            .post(self.server.url(&format!("/api/repos/{}/pipelines", self.repo_id)))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"branch": "main"}))
            .send()
            .await
            .expect("the server answers")
            .status()
    }

    /// Every pipeline of the repo (number, status), newest first.
    async fn pipelines(&self) -> Vec<(i64, String)> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!("/api/repos/{}/pipelines?page={page}&per_page=50", self.repo_id);
            let resp = self.client.get(self.server.url(&path)).bearer_auth(&self.token).send().await.unwrap();
            assert_eq!(resp.status(), 200, "pipeline list");
            let rows: Vec<Value> = resp.json().await.unwrap();
            if rows.is_empty() {
                break;
            }
            all.extend(
                rows.iter()
                    .map(|p| (p["number"].as_i64().unwrap(), p["status"].as_str().unwrap().to_owned())),
            );
        }
        all
    }

    /// `/api/queue/info`.
    async fn queue(&self) -> Value {
        let resp = self
            .client
            .get(self.server.url("/api/queue/info"))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "queue info");
        resp.json().await.unwrap()
    }
}

/// Runs a handed-out workflow the way a Go agent does when every step passes: init, each step
/// started and exited 0, done.
async fn run_to_success(client: &mut AgentClient, workflow: &proto::Workflow) {
    let now = now();
    let state = proto::WorkflowState { started: now, ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();
    for step_uuid in step_uuids(workflow) {
        finish_step(client, workflow, step_uuid, now).await;
    }
    let done = proto::WorkflowState { started: now, finished: now, ..proto::WorkflowState::default() };
    client.done(proto::DoneRequest { id: workflow.id.clone(), state: Some(done) }).await.unwrap();
}

/// Seconds since the epoch.
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The uuids of a handed-out workflow's steps, in order.
fn step_uuids(workflow: &proto::Workflow) -> Vec<String> {
    let payload: Value = serde_json::from_slice(&workflow.payload).unwrap();
    let stages = payload["pipeline"].as_array().unwrap();
    stages
        .iter()
        .flat_map(|stage| stage["steps"].as_array().unwrap().iter())
        .map(|s| s["uuid"].as_str().unwrap().to_owned())
        .collect()
}

/// Reports a step as started and exited 0 at `now`.
async fn finish_step(client: &mut AgentClient, workflow: &proto::Workflow, step_uuid: String, now: i64) {
    let state =
        proto::StepState { step_uuid, started: now, finished: now, exited: true, ..Default::default() };
    client.update(proto::UpdateRequest { id: workflow.id.clone(), state: Some(state) }).await.unwrap();
}

const QUEUED: usize = 20;

/// Queues [`QUEUED`] pipelines, kills the server with SIGKILL and restarts it on the same data
/// dir and settings; an agent then gets every workflow exactly once and runs it to success.
async fn queued_workflows_survive_a_crash(env: &[(&str, &str)]) {
    let mut project = Project::start(env).await;
    for _ in 0..QUEUED {
        assert_eq!(project.run_manual().await, 200, "manual pipeline");
    }
    project.server.restart();

    let statuses = project.pipelines().await;
    assert_eq!(statuses.len(), QUEUED);
    assert!(statuses.iter().all(|(_, s)| s == "pending"), "after the crash: {statuses:?}");
    assert_eq!(project.queue().await["stats"]["pending_count"], QUEUED, "the queue kept every task");

    let mut client = system_agent(&project.server.grpc_url, PROCESS_AGENT_SECRET).await.client;
    let mut handed_out = BTreeSet::new();
    while handed_out.len() < QUEUED {
        let next = tokio::time::timeout(Duration::from_secs(10), client.next(agent_filter()))
            .await
            .unwrap_or_else(|_| panic!("only {} workflows were handed out", handed_out.len()))
            .unwrap();
        let workflow = next.into_inner().workflow.expect("a workflow");
        assert!(handed_out.insert(workflow.id.clone()), "workflow {} handed out twice", workflow.id);
        run_to_success(&mut client, &workflow).await;
    }
    let more = tokio::time::timeout(Duration::from_secs(2), client.next(agent_filter())).await;
    assert!(more.is_err(), "nothing is left after the {QUEUED} workflows: {more:?}");

    let statuses = project.pipelines().await;
    assert!(statuses.iter().all(|(_, s)| s == "success"), "after the run: {statuses:?}");
    assert_eq!(project.queue().await["stats"]["running_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn workflows_queued_in_the_default_memory_queue_survive_a_crash() {
    queued_workflows_survive_a_crash(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_running_when_the_memory_queue_crashed_runs_again_from_its_first_step() {
    let mut project = Project::start(&[]).await;
    assert_eq!(project.run_manual().await, 200, "manual pipeline");
    let mut client = system_agent(&project.server.grpc_url, PROCESS_AGENT_SECRET).await.client;
    let first = client.next(agent_filter()).await.unwrap().into_inner().workflow.expect("a workflow");
    let now = now();
    let state = proto::WorkflowState { started: now, ..proto::WorkflowState::default() };
    client.init(proto::InitRequest { id: first.id.clone(), state: Some(state) }).await.unwrap();
    let clone_step = step_uuids(&first).remove(0);
    finish_step(&mut client, &first, clone_step, now).await;
    assert_eq!(project.pipelines().await, [(1, "running".to_owned())]);

    project.server.restart();
    assert_eq!(project.queue().await["stats"]["pending_count"], 1, "the running workflow is queued again");
    let mut client = system_agent(&project.server.grpc_url, PROCESS_AGENT_SECRET).await.client;
    let again = tokio::time::timeout(Duration::from_secs(10), client.next(agent_filter()))
        .await
        .expect("the workflow is handed out again")
        .unwrap()
        .into_inner()
        .workflow
        .expect("a workflow");
    assert_eq!(again.id, first.id);
    // Every step is reported again, the one that had finished too: the run starts over.
    run_to_success(&mut client, &again).await;
    assert_eq!(project.pipelines().await, [(1, "success".to_owned())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn workflows_queued_in_the_sql_tasks_table_survive_a_crash() {
    queued_workflows_survive_a_crash(&[("NUTHATCH_QUEUE", "database")]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn workflows_queued_in_redis_survive_a_crash() {
    let url = std::env::var("NUTHATCH_TEST_REDIS").unwrap_or("redis://127.0.0.1:6379".into());
    let prefix = test_redis::unique_prefix();
    let env = [
        ("NUTHATCH_QUEUE", "redis"),
        ("NUTHATCH_REDIS_URL", url.as_str()),
        ("NUTHATCH_REDIS_PREFIX", prefix.as_str()),
    ];
    queued_workflows_survive_a_crash(&env).await;
}

const BURST: usize = 200;

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_concurrent_pipeline_creations_on_sqlite_loses_none() {
    let project = Project::start(&[]).await;
    let statuses = futures_util::future::join_all((0..BURST).map(|_| project.run_manual())).await;
    let refused: Vec<_> = statuses.iter().filter(|s| !s.is_success()).collect();
    assert!(refused.is_empty(), "refused creations: {refused:?}");

    let numbers: BTreeSet<i64> = project.pipelines().await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(numbers, (1..=BURST as i64).collect(), "one pipeline per request, numbered without gaps");
    assert_eq!(project.queue().await["stats"]["pending_count"], BURST);
    let stderr = project.server.stderr();
    assert!(!stderr.contains("database is locked"), "server stderr:\n{stderr}");
}
