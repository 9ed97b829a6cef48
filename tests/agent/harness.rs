//! A CI installation for one test: a server process, its first admin, repositories of the
//! local forge created with `nuthatch local-repo`, pushes, and REST reads.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use crate::git::git;
use crate::server_process::{ServerProcess, terminate};
use crate::test_server::temp_dir;

/// A server and an API client as its first admin.
pub struct Ci {
    /// The server process.
    pub server: ServerProcess,
    /// Admin token.
    pub token: String,
    /// HTTP client.
    pub http: reqwest::Client,
    work: PathBuf,
}

/// An activated repository with a clone to push from.
pub struct TestRepo {
    /// Its id at the server.
    pub id: i64,
    tree: PathBuf,
}

impl Ci {
    /// Starts a server with these extra settings.
    pub fn start(env: &[(&str, &str)]) -> Self {
        // The test server process has no embedded agent unless asked; these tests run on it.
        let env: Vec<(&str, &str)> =
            [("NUTHATCH_EMBEDDED_AGENT", "true")].into_iter().chain(env.iter().copied()).collect();
        let server = ServerProcess::start(temp_dir("agent"), &env);
        let token = server.admin_token();
        let work = temp_dir("agent-work");
        std::fs::create_dir_all(work.join("home")).unwrap();
        Self { server, token, http: reqwest::Client::new(), work }
    }

    /// Creates `admin/<name>` with `nuthatch local-repo`, activates it, clones it.
    pub async fn repo(&self, name: &str) -> TestRepo {
        let created = Command::new(env!("CARGO_BIN_EXE_nuthatch"))
            .args(["local-repo", &format!("admin/{name}")])
            .env("NUTHATCH_DATA_DIR", &self.server.data_dir)
            .output()
            .unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let remote_id = String::from_utf8(created.stdout).unwrap().trim().to_owned();
        let activated = self
            .http
            .post(self.url(&format!("/api/repos?forge_remote_id={remote_id}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(activated.status(), 200, "{}", activated.text().await.unwrap());
        let repo: Value = activated.json().await.unwrap();
        let clone_url = repo["clone_url"].as_str().unwrap().to_owned();
        git(&self.work, &self.home(), &["clone", "--quiet", &clone_url, name]);
        TestRepo { id: repo["id"].as_i64().unwrap(), tree: self.work.join(name) }
    }

    fn home(&self) -> PathBuf {
        self.work.join("home")
    }

    /// Commits these files and pushes them to `main`.
    pub fn push(&self, repo: &TestRepo, files: &[(&str, &str)]) {
        for (path, content) in files {
            let path = repo.tree.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        git(&repo.tree, &self.home(), &["add", "--all"]);
        git(&repo.tree, &self.home(), &["commit", "--quiet", "-m", "pipeline"]);
        git(&repo.tree, &self.home(), &["push", "--quiet", "origin", "HEAD:main"]);
    }

    /// A URL of the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.address)
    }

    /// GET as admin; the JSON body of a 200.
    pub async fn get(&self, path: &str) -> Value {
        let resp = self.http.get(self.url(path)).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    /// POST as admin; the status.
    pub async fn post(&self, path: &str) -> u16 {
        let resp = self.http.post(self.url(path)).bearer_auth(&self.token).send().await.unwrap();
        resp.status().as_u16()
    }

    /// Stores a repo secret for push pipelines, as admin.
    pub async fn add_secret(&self, repo: &TestRepo, name: &str, value: &str) {
        let secret = serde_json::json!({"name": name, "value": value, "events": ["push"]});
        self.create(&format!("/api/repos/{}/secrets", repo.id), &secret).await;
    }

    /// Stores a repo's registry credentials, as admin.
    pub async fn add_registry(&self, repo: &TestRepo, address: &str, username: &str, password: &str) {
        let registry = serde_json::json!({"address": address, "username": username, "password": password});
        self.create(&format!("/api/repos/{}/registries", repo.id), &registry).await;
    }

    /// POSTs `body` as admin; panics unless the answer is 200.
    async fn create(&self, path: &str, body: &Value) {
        let resp = self.http.post(self.url(path)).bearer_auth(&self.token).json(body).send().await.unwrap();
        assert_eq!(resp.status(), 200, "POST {path}: {}", resp.text().await.unwrap());
    }

    /// The pipeline as the API shows it, once `done` holds for it; panics after `limit`.
    pub async fn pipeline_when(
        &self,
        repo: &TestRepo,
        number: i64,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let path = format!("/api/repos/{}/pipelines/{number}", repo.id);
        let deadline = Instant::now() + limit;
        loop {
            let resp = self.http.get(self.url(&path)).bearer_auth(&self.token).send().await.unwrap();
            if resp.status() == 200 {
                let pipeline: Value = resp.json().await.unwrap();
                if done(&pipeline) {
                    return pipeline;
                }
                assert!(
                    Instant::now() < deadline,
                    "pipeline {number} now: {pipeline:#}\n{}",
                    self.server.stderr()
                );
            }
            assert!(Instant::now() < deadline, "pipeline {number} never appeared\n{}", self.server.stderr());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The pipeline once it is finished.
    pub async fn finished(&self, repo: &TestRepo, number: i64) -> Value {
        self.pipeline_when(repo, number, Duration::from_secs(90), |p| p["finished"].as_i64().unwrap_or(0) > 0)
            .await
    }

    /// A step's log lines, as text.
    pub async fn log_lines(&self, repo: &TestRepo, number: i64, step_id: i64) -> Vec<String> {
        let entries = self.get(&format!("/api/repos/{}/logs/{number}/{step_id}", repo.id)).await;
        entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let data =
                    base64::engine::general_purpose::STANDARD.decode(e["data"].as_str().unwrap()).unwrap();
                String::from_utf8(data).unwrap()
            })
            .collect()
    }
}

/// `nuthatch agent` connected to the server with `secret`, on the local backend unless `env`
/// says otherwise; its own directory for id file, workspaces and log; stopped on drop.
pub struct AgentProcess {
    /// The process.
    pub child: Child,
    dir: PathBuf,
}

impl AgentProcess {
    /// Starts an agent with these extra settings.
    pub fn start(ci: &Ci, secret: &str, env: &[(&str, &str)]) -> Self {
        let dir = temp_dir("agent-process");
        let log = std::fs::File::create(dir.join("agent.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_nuthatch"))
            .arg("agent")
            .env("WOODPECKER_SERVER", format!("127.0.0.1:{}", ci.server.grpc_port))
            .env("WOODPECKER_AGENT_SECRET", secret)
            .env("WOODPECKER_AGENT_CONFIG_FILE", dir.join("agent.conf"))
            .env("WOODPECKER_BACKEND_LOCAL_TEMP_DIR", dir.join("workspaces"))
            .env("WOODPECKER_LOG_LEVEL", "debug")
            // Not auto-detect: a machine with a Docker daemon would run the steps there.
            .env("WOODPECKER_BACKEND", "local")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self { child, dir }
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Ci {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// Every step of a pipeline with the workflow it belongs to: `(workflow, step)`.
pub fn steps(pipeline: &Value) -> Vec<(Value, Value)> {
    pipeline["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["children"].as_array().unwrap().iter().map(move |s| (w.clone(), s.clone())))
        .collect()
}

/// The step named `name` (the first one when a matrix repeats it).
pub fn step(pipeline: &Value, name: &str) -> Value {
    steps(pipeline)
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}
