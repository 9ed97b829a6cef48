//! `/api/debug/pprof/*`: server admins only, and only while the log level is debug or trace.
//! CPU and heap profiles are gzip'd pprof protobuf; Go-only profiles say they have no analogue.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pprof::protos::Message;
use reqwest::Method;

use crate::helpers::{TestApp, spawn_app, temp_dir};

/// Switches the server's log level (as the admin).
async fn set_level(app: &TestApp, level: &str) {
    let resp = app
        .client
        .post(app.url("/api/log-level"))
        .bearer_auth(&app.admin.token)
        .json(&serde_json::json!({ "log-level": level }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Decodes a gzip'd pprof protobuf; panics unless it is one with at least one sample type.
fn decoded_profile(body: &[u8]) -> pprof::protos::Profile {
    assert!(body.len() > 2 && body[..2] == [0x1f, 0x8b], "gzip magic expected");
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut raw).unwrap();
    let profile = pprof::protos::Profile::decode(raw.as_slice()).unwrap();
    assert!(!profile.sample_type.is_empty(), "a profile names what it samples");
    profile
}

#[tokio::test(flavor = "multi_thread")]
async fn below_debug_level_profiling_answers_like_an_unknown_path() {
    let app = spawn_app().await;
    for path in ["/api/debug/pprof", "/api/debug/pprof/heap", "/api/debug/pprof/profile?seconds=1"] {
        let resp = app.call(Method::GET, path, Some(&app.admin.token)).await;
        assert_eq!(resp.status(), 404, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "not found", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_server_admins_may_profile() {
    let app = spawn_app().await;
    set_level(&app, "debug").await;
    let (_, _, user) = app.user("alice").await;
    for path in ["/api/debug/pprof", "/api/debug/pprof/goroutine", "/api/debug/pprof/profile?seconds=1"] {
        assert_eq!(app.call(Method::GET, path, None).await.status(), 401, "{path}");
        assert_eq!(app.call(Method::GET, path, Some(&user)).await.status(), 403, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_at_debug_level_gets_a_cpu_profile_in_pprof_format() {
    let app = spawn_app().await;
    set_level(&app, "trace").await;
    let resp = app.call(Method::GET, "/api/debug/pprof/profile?seconds=1", Some(&app.admin.token)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    let profile = decoded_profile(&resp.bytes().await.unwrap());
    assert!(profile.string_table.iter().any(|s| s == "cpu"), "{:?}", profile.string_table);

    for bad in ["0", "301", "x"] {
        let path = format!("/api/debug/pprof/profile?seconds={bad}");
        assert_eq!(app.call(Method::GET, &path, Some(&app.admin.token)).await.status(), 400, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_other_profiles_answer_in_text() {
    let app = spawn_app().await;
    set_level(&app, "debug").await;
    let get = |path: &'static str| app.call(Method::GET, path, Some(&app.admin.token));

    let index = get("/api/debug/pprof").await;
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("href=\"pprof/heap\""));

    let tasks = get("/api/debug/pprof/goroutine?debug=2").await;
    assert_eq!(tasks.status(), 200);
    assert!(tasks.text().await.unwrap().contains("alive tasks"));

    let cmdline = get("/api/debug/pprof/cmdline").await;
    assert_eq!(cmdline.status(), 200);
    assert!(!cmdline.text().await.unwrap().is_empty());

    let symbol = app.call(Method::POST, "/api/debug/pprof/symbol", Some(&app.admin.token)).await;
    assert_eq!(symbol.text().await.unwrap(), "num_symbols: 0\n");

    for go_only in ["block", "mutex", "threadcreate", "allocs", "trace"] {
        let resp =
            app.call(Method::GET, &format!("/api/debug/pprof/{go_only}"), Some(&app.admin.token)).await;
        assert_eq!(resp.status(), 404, "{go_only}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(go_only) && text.contains("no analogue"), "{text}");
    }
    assert_eq!(get("/api/debug/pprof/nonsense").await.text().await.unwrap(), "Unknown profile\n");
}

/// The real binary (jemalloc is its allocator) started at debug level, stopped on drop.
struct DebugServer {
    child: Child,
    port: u16,
    token: String,
    dir: std::path::PathBuf,
}

impl Drop for DebugServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `nuthatch server` at debug level and waits for the first admin's credentials file.
fn start_debug_server() -> DebugServer {
    let dir = temp_dir("pprof");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_nuthatch"))
        .arg("server")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WOODPECKER_LOG_LEVEL", "debug")
        .env("NUTHATCH_DATA_DIR", &dir)
        .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{port}"))
        .env("WOODPECKER_GRPC_ADDR", format!("127.0.0.1:{}", free_port()))
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = DebugServer { child, port, token: String::new(), dir };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let creds = std::fs::read_to_string(server.dir.join("admin-credentials")).unwrap_or_default();
        let healthy = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if let Some(token) = creds.lines().find_map(|l| l.strip_prefix("token="))
            && healthy
        {
            server.token = token.to_owned();
            return server;
        }
        assert!(server.child.try_wait().unwrap().is_none(), "server exited early");
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_a_jemalloc_heap_profile_in_pprof_format() {
    let server = start_debug_server();
    let client = reqwest::Client::new();
    let resp = client
        .get(format!("http://127.0.0.1:{}/api/debug/pprof/heap?gc=1", server.port))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let profile = decoded_profile(&resp.bytes().await.unwrap());
    assert!(profile.string_table.iter().any(|s| s == "inuse_space"), "{:?}", profile.string_table);
    assert!(!profile.sample.is_empty(), "sampling started with the server at debug level");
}
