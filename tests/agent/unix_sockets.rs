//! The server's HTTP and gRPC listeners on unix sockets (`unix://` in `WOODPECKER_SERVER_ADDR`
//! and `WOODPECKER_GRPC_ADDR`), and `nuthatch agent` dialing `WOODPECKER_SERVER=unix://...`:
//! the API answers on its socket, agents (embedded and separate) work through theirs, the
//! sockets get `WOODPECKER_UNIX_SOCKET_PERMISSION`, a killed server's stale sockets are
//! replaced, a stopped server removes them, and an unusable path stops the start cleanly.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::agent::harness::{AgentProcess, Ci, step};
use crate::server_process::{ServerProcess, raw_get};
use crate::test_server::temp_dir;

const SECRET: &str = "agent-unix-secret";

const GREET: &str = "\
steps:
  - name: greet
    image: alpine
    commands:
      - echo hello over a unix socket
";

/// A directory for a test's sockets, removed on drop.
struct SocketDir(PathBuf);

impl SocketDir {
    fn new() -> Self {
        Self(temp_dir("sockets"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `unix://<dir>/<name>`.
    fn addr(&self, name: &str) -> String {
        format!("unix://{}", self.path(name).display())
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server with both listeners on sockets in `sockets`, its embedded agent on, and `env`.
fn server_on_sockets(sockets: &SocketDir, env: &[(&str, &str)]) -> ServerProcess {
    let (http, grpc) = (sockets.addr("http.sock"), sockets.addr("grpc.sock"));
    let settings = [
        ("WOODPECKER_SERVER_ADDR", http.as_str()),
        ("WOODPECKER_GRPC_ADDR", grpc.as_str()),
        ("NUTHATCH_EMBEDDED_AGENT", "true"),
    ];
    ServerProcess::start(temp_dir("unix-server"), &[&settings[..], env].concat())
}

/// GET `path` on the server's socket as its admin: the status and JSON body.
fn get_as_admin(server: &ServerProcess, path: &str) -> (u16, Value) {
    let (status, body) =
        raw_get(&server.address, path, Some(&server.admin_token())).expect("the server answers");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_api_answers_on_its_unix_socket_with_the_configured_mode() {
    let sockets = SocketDir::new();
    let server = server_on_sockets(&sockets, &[("WOODPECKER_UNIX_SOCKET_PERMISSION", "0660")]);

    assert_eq!(raw_get(&server.address, "/healthz", None).map(|(status, _)| status), Some(204));
    let (status, user) = get_as_admin(&server, "/api/user");
    assert_eq!(status, 200, "{user:#}");
    assert_eq!(user["login"], "admin");
    assert_eq!(raw_get(&server.address, "/api/user", None).map(|(status, _)| status), Some(401));
    assert_eq!(mode_of(&sockets.path("http.sock")), 0o660);
    assert_eq!(mode_of(&sockets.path("grpc.sock")), 0o660);
}

#[test]
fn the_embedded_agent_connects_through_the_grpc_socket() {
    let sockets = SocketDir::new();
    let server = server_on_sockets(&sockets, &[]);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, agents) = get_as_admin(&server, "/api/agents");
        assert_eq!(status, 200, "{agents:#}");
        if agents.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "the embedded agent never registered\n{}", server.stderr());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(mode_of(&sockets.path("grpc.sock")), 0o666, "upstream's default mode");
}

#[test]
fn a_killed_servers_stale_sockets_are_replaced_and_a_stopped_server_removes_them() {
    let sockets = SocketDir::new();
    let mut server = server_on_sockets(&sockets, &[]);

    server.kill();
    assert!(is_socket(&sockets.path("http.sock")) && is_socket(&sockets.path("grpc.sock")), "left behind");
    server.restart();
    assert_eq!(raw_get(&server.address, "/healthz", None).map(|(status, _)| status), Some(204));

    server.stop();
    assert!(!sockets.path("http.sock").exists() && !sockets.path("grpc.sock").exists());
}

#[test]
fn an_unusable_socket_path_stops_the_start_with_a_clear_error() {
    let sockets = SocketDir::new();
    let missing_dir = sockets.addr("missing/http.sock");
    let stderr =
        ServerProcess::start_failing(temp_dir("unix-server"), &[("WOODPECKER_SERVER_ADDR", &missing_dir)]);
    assert!(
        stderr.contains("cannot listen on unix socket") && stderr.contains("missing/http.sock"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    std::fs::write(sockets.path("grpc.sock"), "not a socket").unwrap();
    let grpc = sockets.addr("grpc.sock");
    let stderr = ServerProcess::start_failing(temp_dir("unix-server"), &[("WOODPECKER_GRPC_ADDR", &grpc)]);
    assert!(stderr.contains("is not a unix socket"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_to_string(sockets.path("grpc.sock")).unwrap(), "not a socket", "left alone");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_dialing_the_grpc_socket_runs_a_pipeline() {
    let sockets = SocketDir::new();
    let grpc = sockets.addr("grpc.sock");
    let ci = Ci::start(&[
        ("NUTHATCH_EMBEDDED_AGENT", "false"),
        ("WOODPECKER_AGENT_SECRET", SECRET),
        ("WOODPECKER_GRPC_ADDR", &grpc),
    ]);
    let agent = AgentProcess::start(
        &ci,
        SECRET,
        &[("WOODPECKER_SERVER", &grpc), ("WOODPECKER_HOSTNAME", "unix-test")],
    );
    let repo = ci.repo("unix").await;
    ci.push(&repo, &[(".woodpecker.yaml", GREET)]);

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}\n{}", agent.log());
    let greet = step(&pipeline, "greet");
    let lines = ci.log_lines(&repo, 1, greet["id"].as_i64().unwrap()).await;
    assert!(lines.contains(&"hello over a unix socket".to_owned()), "{lines:?}");
    let agents = ci.get("/api/agents").await;
    assert_eq!(agents[0]["name"], "unix-test", "{agents:#}");
}
