//! The `nuthatch server` binary in a test: its own data dir and free loopback ports, extra
//! settings from the test, stopped (SIGTERM) and started again on the same ports and data;
//! killed and removed on drop.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process.
pub struct ServerProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The agent gRPC port.
    pub grpc_port: u16,
    /// Its data directory.
    pub data_dir: PathBuf,
    env: Vec<(String, String)>,
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl ServerProcess {
    /// Starts a server with these extra settings and waits until it is healthy.
    pub fn start(data_dir: PathBuf, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let grpc_port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        env.extend([
            ("WOODPECKER_SERVER_ADDR".into(), format!("127.0.0.1:{port}")),
            ("WOODPECKER_GRPC_ADDR".into(), format!("127.0.0.1:{grpc_port}")),
            ("WOODPECKER_HOST".into(), address.clone()),
            ("NUTHATCH_DATA_DIR".into(), data_dir.to_string_lossy().into_owned()),
        ]);
        let mut server = Self { child: None, address, grpc_port, data_dir, env };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_nuthatch"))
            .arg("server")
            .env("WOODPECKER_LOG_LEVEL", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.data_dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !is_healthy(&self.address) {
            assert!(Instant::now() < deadline, "server did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server with SIGTERM (killing it after 20 s) and starts it again.
    pub fn restart(&mut self) {
        if let Some(child) = self.child.as_mut() {
            terminate(child, Duration::from_secs(20));
        }
        self.spawn();
    }

    /// The first admin's token, from the credentials file.
    pub fn admin_token(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("admin-credentials")).unwrap();
        text.lines().find_map(|l| l.strip_prefix("token=")).unwrap().to_owned()
    }

    /// What the server logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default()
    }
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

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Whether the server at `address` answers `/healthz` with 204 (a blocking probe).
pub fn is_healthy(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address.trim_start_matches("http://")) else {
        return false;
    };
    let mut head = [0u8; 12];
    stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.ends_with(b" 204")
}
