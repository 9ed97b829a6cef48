//! REST API throughput, issue 6's figures, measured in one run so the machine's noise cancels:
//! - `GET /api/repos/{id}` on a real server (SQLite, token auth) next to a bare poem handler
//!   answering a similar JSON body on the same runtime: requests/s of both and the ratio;
//! - `GET /api/user/repos` for a user with 1000 repos (each with a pipeline): latency.
//!
//! Run: `cargo bench --bench api_throughput` (env `BENCH_SECONDS`: rounds of one second per
//! side, alternating, default 10; `BENCH_CONNECTIONS`;
//! `BENCH_REPO_ONLY=1` hammers `GET /api/repos/{id}` alone for `BENCH_SECONDS`, to profile it).

#[path = "common/allocator.rs"]
mod allocator;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nuthatch::app::config::{LogConfig, LogFormat, ServerConfig};
use nuthatch::app::server::Application;
use nuthatch::domain::perm::Perm;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::repo::Repo;
use nuthatch::ports::store::Store;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Json;
use poem::{Route, Server, get, handler};

const REPOS: usize = 1000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The bare handler: the same kind of JSON body, no auth, no store.
#[handler]
fn bare() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "id": 1, "forge_remote_id": "1", "owner": "bench", "name": "repo-0",
        "full_name": "bench/repo-0", "default_branch": "main", "active": true,
        "private": false, "visibility": "public", "timeout": 60
    }))
}

async fn serve_bare() -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind");
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().expect("socket address");
    tokio::spawn(Server::new_with_acceptor(acceptor).run(Route::new().at("/repo", get(bare))));
    format!("http://{addr}/repo")
}

async fn seed(store: &dyn Store, user_id: i64, forge_id: i64) -> i64 {
    let mut first = 0;
    for i in 0..REPOS {
        let repo = Repo {
            forge_id,
            forge_remote_id: format!("bench-{i}"),
            owner: "bench".into(),
            name: format!("repo-{i}"),
            full_name: format!("bench/repo-{i}"),
            default_branch: "main".into(),
            active: true,
            timeout: 60,
            hash: format!("hash-{i}"),
            ..Repo::default()
        };
        let repo = store.create_repo(&repo).await.expect("repo stored");
        let perm = Perm { user_id, repo_id: repo.id, pull: true, push: true, admin: true, ..Perm::default() };
        store.set_perm(&perm).await.expect("perm stored");
        let pipeline = Pipeline { repo_id: repo.id, branch: "main".into(), ..Pipeline::default() };
        store.create_pipeline(&pipeline).await.expect("pipeline stored");
        if first == 0 {
            first = repo.id;
        }
    }
    first
}

/// Requests/s of `connections` clients hammering `url` for `seconds`.
async fn throughput(url: &str, token: Option<&str>, connections: u64, seconds: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (url, token, done) = (url.to_owned(), token.map(str::to_owned), done.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while Instant::now() < until {
                let mut req = client.get(&url);
                if let Some(token) = &token {
                    req = req.bearer_auth(token);
                }
                let resp = req.send().await.expect("answered");
                assert!(resp.status().is_success(), "{url}: {}", resp.status());
                resp.bytes().await.expect("body");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

#[tokio::main]
async fn main() {
    let seconds = env_or("BENCH_SECONDS", 10);
    let connections = env_or("BENCH_CONNECTIONS", 16);
    let data_dir = std::env::temp_dir().join(format!("nuthatch-bench-api-{}", std::process::id()));
    let mut config = ServerConfig::from_env().expect("settings");
    config.server_addr = "127.0.0.1:0".into();
    config.host = "http://localhost".into();
    config.database.data_dir = Some(data_dir.clone());
    config.log = LogConfig { log_level: "error".into(), log_format: LogFormat::Text };
    let app = Application::build(&config).await.expect("server starts");
    let base = format!("http://{}", app.local_addr());
    let admin = app.first_admin().expect("first admin").clone();
    let store = app.store();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/user"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("user json");
    let (user_id, forge_id) = (me["id"].as_i64().expect("id"), me["forge_id"].as_i64().expect("forge_id"));
    let repo_id = seed(store.as_ref(), user_id, forge_id).await;
    let bare_url = serve_bare().await;
    let token = Some(admin.token.as_str());

    let repo_url = format!("{base}/api/repos/{repo_id}");
    if std::env::var_os("BENCH_REPO_ONLY").is_some() {
        let ours = throughput(&repo_url, token, connections, seconds).await;
        println!("GET /api/repos/{{id}}: {ours:.0} req/s");
        return;
    }
    throughput(&repo_url, token, connections, 1).await;
    throughput(&bare_url, None, connections, 1).await;
    // Alternating one-second rounds, so a slow spell of the machine hits both sides alike.
    let (mut ours, mut theirs, mut ratios) = (0.0, 0.0, Vec::new());
    for _ in 0..seconds {
        let round_ours = throughput(&repo_url, token, connections, 1).await;
        let round_theirs = throughput(&bare_url, None, connections, 1).await;
        ours += round_ours / seconds as f64;
        theirs += round_theirs / seconds as f64;
        ratios.push(100.0 * round_ours / round_theirs);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "GET /api/repos/{{id}}: {ours:.0} req/s; bare poem handler: {theirs:.0} req/s; ratio {:.1} % \
         (rounds of 1 s, alternating: median {:.1} %, min {:.1} %, max {:.1} %)",
        100.0 * ours / theirs,
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    );

    let client = reqwest::Client::new();
    let list_url = format!("{base}/api/user/repos");
    let mut times = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let resp = client.get(&list_url).bearer_auth(&admin.token).send().await.expect("answered");
        let body = resp.bytes().await.expect("body");
        // Timed to the last byte: the server's work, not this client's JSON decoding.
        times.push(start.elapsed());
        let repos: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("json");
        assert_eq!(repos.len(), REPOS, "every repo listed");
    }
    // The first one also opens the connection and the server's first long-read connections.
    let first = times[0];
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "GET /api/user/repos ({REPOS} repos with last_pipeline), to the last byte: median {:.1} ms, min {:.1} ms, max {:.1} ms, first {:.1} ms (30 requests)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        ms(first)
    );
    let per_sec = throughput(&list_url, token, 4, seconds).await;
    println!("GET /api/user/repos: {per_sec:.1} req/s with 4 connections");
    let _ = std::fs::remove_dir_all(&data_dir);
}
