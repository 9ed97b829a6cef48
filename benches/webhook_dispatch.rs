//! Webhook to agent latency (issue 7): a gRPC agent long-polls `Next` on a real server (default
//! SQLite store, memory queue); the time from sending a push webhook to `Next` returning the
//! workflow, p50/p99 over `BENCH_PIPELINES` (default 200) pipelines. Between two samples the
//! agent runs the workflow to its end (not timed), so each webhook meets an idle server with
//! one waiting poll.
//!
//! Run: `cargo bench --bench webhook_dispatch`.

#[path = "common/allocator.rs"]
mod allocator;

#[allow(dead_code)]
#[path = "../tests/common/server.rs"]
mod test_server;

#[path = "../tests/common/git.rs"]
mod git;
#[path = "../tests/common/hook.rs"]
mod hook;

#[path = "../tests/grpc/agent.rs"]
mod agent;

use std::time::{Duration, Instant};

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::grpc::proto;
use nuthatch::app::server::Application;

use crate::agent::{agent_filter, system_agent};

const SECRET: &str = "bench-agent-secret";

/// `p` in 0..=100 of sorted samples.
fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let index = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

#[tokio::main]
async fn main() {
    let pipelines: usize = std::env::var("BENCH_PIPELINES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let data_dir = test_server::temp_dir("bench-dispatch");
    let mut config = test_server::test_config(data_dir.clone());
    // The default pool size, not the tests' small one.
    config.database.database_max_connections = 20;
    config.log.log_level = "error".into();
    config.grpc.agent_secret = Some(SECRET.into());
    let app = Application::build(&config).await.expect("server starts");
    let base = format!("http://{}", app.local_addr());
    let grpc_url = format!("http://{}", app.grpc_addr());
    let admin = app.first_admin().expect("first admin").clone();
    let store = app.store();
    let engine = app.engine();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let forge = LocalForge::open(data_dir.join("repos"), "http://localhost").await.expect("forge");
    let repo = forge.create_repo(&admin.login, "bench").await.expect("forge repo");
    let work = test_server::temp_dir("bench-dispatch-work");
    let yaml = "steps:\n  - name: build\n    image: alpine\n    commands: [echo hi]\n";
    let sha = git::commit_and_push(&work, &repo.clone_url, &[(".woodpecker.yaml", yaml)], "add pipeline");
    let client = reqwest::Client::new();
    let activated = client
        .post(format!("{base}/api/repos?forge_remote_id={}", repo.forge_remote_id))
        .bearer_auth(&admin.token)
        .send()
        .await
        .expect("answered");
    assert_eq!(activated.status(), 200, "activation");
    let repo_id = activated.json::<serde_json::Value>().await.expect("repo json")["id"].as_i64().expect("id");
    // Every webhook pushes the same commit: keep the older pipelines instead of superseding them.
    let mut stored = store.get_repo(repo_id).await.expect("repo");
    stored.cancel_previous_pipeline_events.clear();
    store.update_repo(&stored).await.expect("repo saved");

    let hook_url = format!("{base}{}", hook::hook_path(&repo.clone_url));
    let body = hook::push_body(&repo.forge_remote_id, "0000000000000000000000000000000000000000", &sha);
    let mut agent = system_agent(&grpc_url, SECRET).await.client;
    let mut samples = Vec::with_capacity(pipelines);
    for _ in 0..pipelines {
        let mut poller = agent.clone();
        let poll = tokio::spawn(async move { poller.next(agent_filter()).await });
        while engine.queue.info().await.expect("queue info").stats.worker_count == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let start = Instant::now();
        let resp = client.post(&hook_url).json(&body).send().await.expect("hook answered");
        assert!(resp.status().is_success(), "hook: {}", resp.status());
        let next = poll.await.expect("poll task").expect("next");
        samples.push(start.elapsed());
        let workflow = next.into_inner().workflow.expect("a workflow");

        let started = now();
        let state = proto::WorkflowState { started, ..proto::WorkflowState::default() };
        agent.init(proto::InitRequest { id: workflow.id.clone(), state: Some(state) }).await.expect("init");
        let done = proto::WorkflowState { started, finished: now(), ..proto::WorkflowState::default() };
        agent.done(proto::DoneRequest { id: workflow.id, state: Some(done) }).await.expect("done");
    }
    samples.sort();
    println!(
        "webhook -> Next (SQLite, memory queue, {pipelines} pipelines): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&samples, 50),
        percentile(&samples, 99),
        percentile(&samples, 100)
    );
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_dir_all(&data_dir);
}
