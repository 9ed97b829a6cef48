//! The real `nuthatch server` binary as a child process: its own data dir, free loopback ports
//! for HTTP and gRPC (kept across restarts, so agents find it again; a test may set unix sockets
//! instead), stderr kept in a file; it can be killed with SIGKILL as a crash would, or stopped
//! with SIGTERM, and started again on the same data dir. Killed and its data dir removed on drop.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The system agent secret of every server process (a test's own setting overrides it).
pub const PROCESS_AGENT_SECRET: &str = "process-agent-secret";

/// A running `nuthatch server`.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`, or the `unix://<path>` the test set as `WOODPECKER_SERVER_ADDR`.
    pub address: String,
    /// The agent gRPC port.
    pub grpc_port: u16,
    /// `http://127.0.0.1:<grpc port>`.
    pub grpc_url: String,
    /// Its data dir (SQLite file, built-in forge, admin credentials).
    pub data_dir: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    /// How often it was started (each start writes its own stderr file).
    starts: usize,
}

impl ServerProcess {
    /// Starts the binary on `data_dir` with `env` added to the test settings and waits until
    /// `/healthz` answers.
    pub fn start(data_dir: PathBuf, env: &[(&str, &str)]) -> Self {
        let server = Self::spawn_first(data_dir, env);
        server.wait_until_healthy();
        server
    }

    /// Starts the binary as [`start`](Self::start) does, expecting the start to fail: returns its
    /// stderr once the process exited non-zero. Panics when it keeps running for 30 s.
    pub fn start_failing(data_dir: PathBuf, env: &[(&str, &str)]) -> String {
        Self::spawn_first(data_dir, env).wait_for_failure()
    }

    fn spawn_first(data_dir: PathBuf, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> =
            env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (port, grpc_port) = (free_port(), free_port());
        let child = spawn(&data_dir, &env, 0, port, grpc_port);
        let unix_address =
            env.iter().find(|(k, v)| k == "WOODPECKER_SERVER_ADDR" && v.starts_with("unix://"));
        Self {
            child,
            address: unix_address.map_or_else(|| format!("http://127.0.0.1:{port}"), |(_, v)| v.clone()),
            grpc_port,
            grpc_url: format!("http://127.0.0.1:{grpc_port}"),
            data_dir,
            port,
            env,
            starts: 1,
        }
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the process (SIGKILL) and starts it again on the same data dir, settings and ports.
    pub fn restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// Stops the process with SIGTERM (SIGKILL after 20 s).
    pub fn stop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(20));
    }

    /// Stops the process with SIGTERM (SIGKILL after 20 s) and starts it again.
    pub fn restart_gracefully(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Stops the process with SIGTERM and starts it again with `env` changed (each pair replaces
    /// the setting of that name, or is added; an empty value removes it).
    pub fn restart_with(&mut self, env: &[(&str, &str)]) {
        self.stop();
        self.change_env(env);
        self.start_again();
    }

    /// Stops the process with SIGTERM and starts it with `env` changed, as
    /// [`restart_with`](Self::restart_with), expecting the start to fail: returns the stderr of
    /// that start once the process exited non-zero. Panics when it keeps running for 30 s.
    pub fn start_failing_with(&mut self, env: &[(&str, &str)]) -> String {
        self.stop();
        self.change_env(env);
        self.child = spawn(&self.data_dir, &self.env, self.starts, self.port, self.grpc_port);
        self.starts += 1;
        self.wait_for_failure()
    }

    /// Waits for the latest start to exit non-zero; its stderr.
    fn wait_for_failure(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the server kept running; stderr:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(!status.success(), "the server exited successfully; stderr:\n{}", self.stderr());
        std::fs::read_to_string(stderr_path(&self.data_dir, self.starts - 1)).unwrap_or_default()
    }

    fn change_env(&mut self, env: &[(&str, &str)]) {
        for (key, value) in env {
            self.env.retain(|(k, _)| k != key);
            if !value.is_empty() {
                self.env.push(((*key).to_owned(), (*value).to_owned()));
            }
        }
    }

    fn start_again(&mut self) {
        self.child = spawn(&self.data_dir, &self.env, self.starts, self.port, self.grpc_port);
        self.starts += 1;
        self.wait_until_healthy();
    }

    /// Everything the process wrote to stderr, over all its starts.
    pub fn stderr(&self) -> String {
        (0..self.starts)
            .map(|n| std::fs::read_to_string(stderr_path(&self.data_dir, n)).unwrap_or_default())
            .collect()
    }

    /// The first admin's token, from the credentials file.
    pub fn admin_token(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("admin-credentials")).unwrap();
        text.lines().find_map(|l| l.strip_prefix("token=")).unwrap().to_owned()
    }

    /// A URL of this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if is_healthy(&self.address) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become healthy; stderr:\n{}", self.stderr());
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn stderr_path(data_dir: &std::path::Path, start: usize) -> PathBuf {
    data_dir.join(format!("server-{start}.stderr"))
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Spawns start number `start` of the server on these ports.
fn spawn(
    data_dir: &std::path::Path,
    env: &[(String, String)],
    start: usize,
    port: u16,
    grpc_port: u16,
) -> Child {
    let stderr = std::fs::File::create(stderr_path(data_dir, start)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_nuthatch"))
        .arg("server")
        .env("NUTHATCH_DATA_DIR", data_dir)
        .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{port}"))
        .env("WOODPECKER_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
        .env("WOODPECKER_HOST", format!("http://127.0.0.1:{port}"))
        .env("WOODPECKER_AGENT_SECRET", PROCESS_AGENT_SECRET)
        .env("NUTHATCH_EMBEDDED_AGENT", "false")
        .env("WOODPECKER_LOG_LEVEL", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        // Away from the repo, so no `.env` file of the checkout is read.
        .current_dir(data_dir)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Sends SIGTERM and waits for the exit; SIGKILL after `grace`.
pub fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether the server at `address` answers `/healthz` with 204 (a blocking probe).
fn is_healthy(address: &str) -> bool {
    raw_get(address, "/healthz", None).is_some_and(|(status, _)| status == 204)
}

/// A blocking HTTP/1.0 `GET path` at `address` (`http://host:port` or `unix://<socket>`, which
/// reqwest cannot reach), as `token`'s bearer when given: the status and body, or `None` when
/// nothing answers.
pub fn raw_get(address: &str, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n{auth}\r\n");
    let answer = match address.strip_prefix("unix://") {
        Some(socket) => exchange(UnixStream::connect(socket).ok()?, &request),
        None => exchange(TcpStream::connect(address.trim_start_matches("http://")).ok()?, &request),
    }
    .ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Writes `request` and reads the answer until the server closes (HTTP/1.0 does).
fn exchange(mut stream: impl Read + Write, request: &str) -> std::io::Result<String> {
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}
