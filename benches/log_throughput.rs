//! Issue 7's log figure: a step prints 50 001 lines (`seq 0 50000`); they are sent through the
//! agent gRPC `Log` call in batches the way a Go agent batches them (a batch is sent once its
//! entries reach 1 MiB, the rest last), and the clock stops when the REST logs endpoint returns
//! every line. Goal: at most 1 s (Drone: under 2 s).
//!
//! Each log store runs on a server of its own: `sqlite` (the default database), `file`
//! (`WOODPECKER_LOG_STORE=file`), and the database on `postgres` and `mysql` (servers from
//! `NUTHATCH_TEST_POSTGRES` / `NUTHATCH_TEST_MYSQL`, defaults as the tests use).
//!
//! Run: `cargo bench --bench log_throughput` (env `BENCH_BACKENDS=sqlite,file,...`,
//! `BENCH_RUNS`, default 3).

#[path = "common/allocator.rs"]
mod allocator;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection};
use nuthatch::adapters::grpc::proto;
use nuthatch::adapters::grpc::proto::woodpecker_auth_client::WoodpeckerAuthClient;
use nuthatch::adapters::grpc::proto::woodpecker_client::WoodpeckerClient;
use nuthatch::app::config::{LogConfig, LogFormat, LogStoreKind, ServerConfig};
use nuthatch::app::server::Application;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::status::Status;
use nuthatch::domain::workflow::{Step, Workflow};
use nuthatch::ports::store::{Store, WorkflowTree};
use prost::Message;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;

const LINES: i32 = 50_001;
const BATCH_BYTES: usize = 1024 * 1024;
const AGENT_SECRET: &str = "bench-agent-secret";
const STEP_UUID: &str = "0b8b1f5e-6d8c-4c39-9c1a-6f1c1b6a2d11";

/// A server under test, its data removed on drop.
struct Bench {
    http: String,
    grpc: String,
    token: String,
    store: std::sync::Arc<dyn Store>,
    data_dir: PathBuf,
    database: Option<(&'static str, String, String)>,
}

/// `seq 0 50000` as log entries of one step, in the agent's batches.
fn batches() -> Vec<proto::LogRequest> {
    let mut batches = Vec::new();
    let (mut batch, mut size) = (Vec::new(), 0);
    for line in 0..LINES {
        let entry = proto::LogEntry {
            step_uuid: STEP_UUID.into(),
            time: i64::from(line / 10_000),
            line,
            r#type: 0,
            data: line.to_string().into_bytes(),
        };
        size += entry.encoded_len();
        batch.push(entry);
        if size >= BATCH_BYTES {
            batches.push(proto::LogRequest { log_entries: std::mem::take(&mut batch) });
            size = 0;
        }
    }
    if !batch.is_empty() {
        batches.push(proto::LogRequest { log_entries: batch });
    }
    batches
}

/// A fresh database on a PostgreSQL or MySQL server: (driver, admin URL, name).
async fn create_database(driver: &'static str) -> (&'static str, String, String) {
    let name = format!("nuthatch_bench_{}", std::process::id());
    let admin = match driver {
        "postgres" => std::env::var("NUTHATCH_TEST_POSTGRES")
            .unwrap_or("postgres://postgres@127.0.0.1:5432/test".into()),
        _ => std::env::var("NUTHATCH_TEST_MYSQL").unwrap_or("mysql://root@127.0.0.1:3306/test".into()),
    };
    admin_sql(driver, &admin, &format!("DROP DATABASE IF EXISTS {name}")).await;
    admin_sql(driver, &admin, &format!("CREATE DATABASE {name}")).await;
    (driver, admin, name)
}

async fn admin_sql(driver: &str, url: &str, sql: &str) {
    match driver {
        "postgres" => AsyncPgConnection::establish(url).await.expect("postgres").batch_execute(sql).await,
        _ => AsyncMysqlConnection::establish(url).await.expect("mysql").batch_execute(sql).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Bench {
    async fn start(backend: &str) -> Bench {
        let data_dir =
            std::env::temp_dir().join(format!("nuthatch-bench-logs-{backend}-{}", std::process::id()));
        let mut config = ServerConfig::from_env().expect("settings");
        config.server_addr = "127.0.0.1:0".into();
        config.grpc.grpc_addr = "127.0.0.1:0".into();
        config.grpc.agent_secret = Some(AGENT_SECRET.into());
        config.host = "http://localhost".into();
        config.database.data_dir = Some(data_dir.clone());
        config.log = LogConfig { log_level: "error".into(), log_format: LogFormat::Text };
        let mut database = None;
        match backend {
            "sqlite" => {}
            "file" => {
                config.engine.log_store = LogStoreKind::File;
                config.engine.log_store_file_path = Some(data_dir.join("logs"));
            }
            "postgres" | "mysql" => {
                let (driver, admin, name) =
                    create_database(if backend == "postgres" { "postgres" } else { "mysql" }).await;
                let mut url = url::Url::parse(&admin).expect("url");
                url.set_path(&name);
                config.database.database_driver = driver.into();
                config.database.database_datasource = Some(url.to_string());
                database = Some((driver, admin, name));
            }
            other => panic!("unknown backend {other} (sqlite, file, postgres, mysql)"),
        }
        let app = Application::build(&config).await.expect("server starts");
        let http = format!("http://{}", app.local_addr());
        let grpc = format!("http://{}", app.grpc_addr());
        let token = app.first_admin().expect("first admin").token.clone();
        let store = app.store();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        Bench { http, grpc, token, store, data_dir, database }
    }

    /// An authenticated, registered system agent.
    async fn agent(
        &self,
    ) -> (i64, WoodpeckerClient<tonic::service::interceptor::InterceptedService<Channel, Token>>) {
        let channel = Channel::from_shared(self.grpc.clone()).unwrap().connect().await.expect("grpc answers");
        let auth = WoodpeckerAuthClient::new(channel.clone())
            .auth(proto::AuthRequest { agent_token: AGENT_SECRET.into(), agent_id: -1 })
            .await
            .expect("agent authenticates")
            .into_inner();
        let mut client = WoodpeckerClient::with_interceptor(
            channel,
            Token(auth.access_token.parse().expect("ascii token")),
        )
        .max_encoding_message_size(64 << 20);
        let info = proto::AgentInfo {
            platform: "linux/amd64".into(),
            capacity: 1,
            backend: "local".into(),
            version: "3.14.0".into(),
            custom_labels: HashMap::new(),
        };
        client.register_agent(proto::RegisterAgentRequest { info: Some(info) }).await.expect("registers");
        (auth.agent_id, client)
    }

    /// A running pipeline of a fresh repo whose one running step is handed to `agent_id`;
    /// returns (repo id, pipeline number, step id).
    async fn running_step(&self, agent_id: i64, run: usize) -> (i64, i64, i64) {
        let name = format!("repo-{run}");
        let repo = Repo {
            owner: "bench".into(),
            name: name.clone(),
            full_name: format!("bench/{name}"),
            forge_id: 1,
            forge_remote_id: format!("bench-{run}"),
            default_branch: "main".into(),
            timeout: 60,
            active: true,
            ..Repo::default()
        };
        let repo = self.store.create_repo(&repo).await.expect("repo");
        let pipeline = Pipeline {
            repo_id: repo.id,
            status: Status::Running,
            branch: "main".into(),
            ..Pipeline::default()
        };
        let pipeline = self.store.create_pipeline(&pipeline).await.expect("pipeline");
        let uuid = format!("{STEP_UUID}-{run}");
        let tree = WorkflowTree {
            workflow: Workflow {
                pipeline_id: pipeline.id,
                pid: 1,
                name: "build".into(),
                state: Status::Running,
                agent_id,
                ..Workflow::default()
            },
            steps: vec![Step {
                uuid,
                pipeline_id: pipeline.id,
                pid: 2,
                ppid: 1,
                name: "seq".into(),
                state: Status::Running,
                ..Step::default()
            }],
        };
        let tree = self.store.create_workflows(&[tree]).await.expect("workflow").remove(0);
        (repo.id, pipeline.number, tree.steps[0].id)
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((driver, admin, name)) = self.database.take() {
            let sql = match driver {
                "postgres" => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                _ => format!("DROP DATABASE IF EXISTS {name}"),
            };
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(admin_sql(driver, &admin, &sql));
            })
            .join();
        }
    }
}

/// Sends the agent's token with every call.
#[derive(Clone)]
struct Token(AsciiMetadataValue);

impl tonic::service::Interceptor for Token {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("token", self.0.clone());
        Ok(request)
    }
}

/// One run: (time until `Log` returned for every batch, time until REST returned every line).
async fn run(bench: &Bench, run: usize) -> (Duration, Duration) {
    let (agent_id, mut client) = bench.agent().await;
    let (repo_id, number, step_id) = bench.running_step(agent_id, run).await;
    let uuid = format!("{STEP_UUID}-{run}");
    let mut batches = batches();
    for entry in batches.iter_mut().flat_map(|b| b.log_entries.iter_mut()) {
        entry.step_uuid.clone_from(&uuid);
    }
    let http = reqwest::Client::new();
    let url = format!("{}/api/repos/{repo_id}/logs/{number}/{step_id}", bench.http);
    let started = Instant::now();
    for batch in batches {
        client.log(batch).await.expect("Log accepted");
    }
    let sent = started.elapsed();
    loop {
        let lines: Vec<serde_json::Value> = http
            .get(&url)
            .bearer_auth(&bench.token)
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("json");
        if lines.len() == LINES as usize {
            let last = lines.last().expect("a last line");
            assert_eq!(last["line"], LINES - 1);
            return (sent, started.elapsed());
        }
        assert!(started.elapsed() < Duration::from_secs(60), "lines never all readable: {}", lines.len());
    }
}

#[tokio::main]
async fn main() {
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or("sqlite,file,postgres,mysql".into());
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    println!("{LINES} lines (seq 0 50000) in {} Log batches of at most ~1 MiB", batches().len());
    for backend in backends.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        let bench = Bench::start(backend).await;
        let mut results = Vec::new();
        for n in 0..runs {
            results.push(run(&bench, n).await);
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let each: Vec<String> = results
            .iter()
            .map(|(sent, read)| format!("{:.0} ms (Log {:.0} ms)", ms(*read), ms(*sent)))
            .collect();
        let best = results.iter().map(|r| r.1).min().expect("a run");
        println!("{backend:>8}: stored and readable in {:.0} ms best; runs: {}", ms(best), each.join(", "));
    }
}
