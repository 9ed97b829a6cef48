//! Starting a server for a test, authenticating agents, and queueing workflows for them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nuthatch::adapters::grpc::proto;
use nuthatch::app::config::ServerConfig;
use nuthatch::app::engine::Engine;
use nuthatch::app::server::Application;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::status::Status;
use nuthatch::domain::task::Task;
use nuthatch::domain::workflow::{Step, Workflow};
use nuthatch::ports::store::{Store, WorkflowTree};

pub use crate::grpc::agent::{AgentClient, TestAgent, agent_filter};

/// The system agent secret every test server has.
pub const AGENT_SECRET: &str = "system-agent-secret";

/// A server running for one test, on its own ports and SQLite file; stopped on drop.
pub struct TestServer {
    /// `http://127.0.0.1:<grpc port>`.
    pub grpc_url: String,
    /// The server's ports, for setting up and checking data.
    pub engine: Engine,
    data_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A workflow queued for agents.
pub struct Queued {
    /// Its repo.
    pub repo: Repo,
    /// Its pipeline.
    pub pipeline: Pipeline,
    /// The workflow.
    pub workflow: Workflow,
    /// Its steps.
    pub steps: Vec<Step>,
    /// The config handed to the agent.
    pub config: serde_json::Value,
}

/// Server settings for a test: loopback port 0 for HTTP and gRPC, a system agent secret.
pub fn test_config(data_dir: PathBuf) -> ServerConfig {
    let mut config = crate::test_server::test_config(data_dir);
    config.grpc.agent_secret = Some(AGENT_SECRET.into());
    config.grpc.grpc_secret = None;
    config
}

/// Starts a server with the default settings.
pub async fn spawn() -> TestServer {
    spawn_with(|_| {}).await
}

/// Starts a server after `adjust` changed its settings.
pub async fn spawn_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let data_dir = crate::test_server::temp_dir("grpc");
    let mut config = test_config(data_dir.clone());
    adjust(&mut config);
    let app = Application::build(&config).await.expect("server starts");
    let grpc_url = format!("http://{}", app.grpc_addr());
    let engine = app.engine();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestServer { grpc_url, engine, data_dir, stop: Some(stop) }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl TestServer {
    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        self.engine.store.clone()
    }

    /// A client of the main service sending exactly this metadata.
    pub async fn client_with(&self, metadata: &[(&'static str, &str)]) -> AgentClient {
        crate::grpc::agent::client_with(&self.grpc_url, metadata).await
    }

    /// `Auth` with `token` and `agent_id`.
    pub async fn auth(&self, token: &str, agent_id: i64) -> Result<proto::AuthResponse, tonic::Status> {
        crate::grpc::agent::auth(&self.grpc_url, token, agent_id).await
    }

    /// A new system agent, authenticated and registered like a Go agent on `linux/amd64`.
    pub async fn agent(&self) -> TestAgent {
        crate::grpc::agent::system_agent(&self.grpc_url, AGENT_SECRET).await
    }

    /// Stores a pending pipeline of a fresh repo with one workflow of these step uuids, and
    /// queues the workflow as the pipeline lifecycle does.
    pub async fn queue_workflow(&self, repo_name: &str, uuids: &[&str]) -> Queued {
        let store = self.store();
        let (owner, name) = repo_name.split_once('/').unwrap();
        let repo = store
            .create_repo(&Repo {
                owner: owner.into(),
                name: name.into(),
                full_name: repo_name.into(),
                forge_id: 1,
                forge_remote_id: format!("remote-{repo_name}"),
                default_branch: "main".into(),
                timeout: 60,
                active: true,
                ..Repo::default()
            })
            .await
            .unwrap();
        let pipeline = store
            .create_pipeline(&Pipeline {
                repo_id: repo.id,
                status: Status::Pending,
                branch: "main".into(),
                ..Pipeline::default()
            })
            .await
            .unwrap();
        let steps = uuids
            .iter()
            .zip(2..)
            .map(|(uuid, pid)| Step {
                uuid: (*uuid).into(),
                pipeline_id: pipeline.id,
                pid,
                ppid: 1,
                name: format!("step-{uuid}"),
                ..Step::default()
            })
            .collect();
        let tree = WorkflowTree {
            workflow: Workflow {
                pipeline_id: pipeline.id,
                pid: 1,
                name: "build".into(),
                ..Workflow::default()
            },
            steps,
        };
        let tree = store.create_workflows(&[tree]).await.unwrap().remove(0);
        let config = serde_json::json!({
            "pipeline": [{"steps": uuids.iter().map(|u| serde_json::json!({
                "name": format!("step-{u}"), "uuid": u, "type": "commands", "image": "alpine",
                "commands": ["echo hi"], "environment": {"CI_REPO": repo_name, "CI_PIPELINE_NUMBER": "1"},
                "on_success": true, "failure": "fail", "auth_config": {}
            })).collect::<Vec<_>>()}],
            "network": "wp_default", "volume": "wp_default", "secrets": []
        });
        let id = tree.workflow.id.to_string();
        let data = serde_json::json!({"id": id, "config": config, "timeout": 60});
        let task = Task {
            id,
            pid: 1,
            name: "build".into(),
            data: serde_json::to_vec(&data).unwrap(),
            labels: [
                ("repo".to_owned(), repo_name.to_owned()),
                ("org-id".to_owned(), repo.org_id.to_string()),
            ]
            .into(),
            pipeline_id: pipeline.id,
            repo_id: repo.id,
            created: pipeline.created,
            ..Task::default()
        };
        self.engine.queue.push(vec![task]).await.unwrap();
        Queued { repo, pipeline, workflow: tree.workflow, steps: tree.steps, config }
    }

    /// The workflow as stored now.
    pub async fn workflow(&self, id: i64) -> Workflow {
        self.store().get_workflow(id).await.unwrap()
    }
}

/// Polls `check` every 50 ms until it holds; panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Now, in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
