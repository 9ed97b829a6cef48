//! Starting a server for a test, and talking to it.

use std::path::PathBuf;

use nuthatch::app::bootstrap::AdminCredentials;
use nuthatch::app::config::{DatabaseConfig, LogConfig, LogFormat, ServerConfig};
use nuthatch::app::server::Application;

/// A server running for one test, on its own port and SQLite file; removed on drop.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The first admin, created at start.
    pub admin: AdminCredentials,
    data_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A fresh, empty data directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nuthatch-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Server settings for a test: port 0 on loopback, the given data dir, quiet logs.
pub fn test_config(data_dir: PathBuf) -> ServerConfig {
    ServerConfig {
        server_addr: "127.0.0.1:0".into(),
        host: "http://localhost".into(),
        webhook_host: None,
        admin: Vec::new(),
        session_expires: 72 * 3600,
        default_pipeline_timeout: 60,
        local_repos: None,
        database: DatabaseConfig {
            database_driver: "sqlite3".into(),
            database_datasource: None,
            database_datasource_file: None,
            database_max_connections: 4,
            data_dir: Some(data_dir),
        },
        log: LogConfig { log_level: "warn".into(), log_format: LogFormat::Text },
    }
}

/// Starts a server on an empty SQLite database.
pub async fn spawn_app() -> TestApp {
    let data_dir = temp_dir("api");
    let app = Application::build(&test_config(data_dir.clone())).await.expect("server starts");
    let address = format!("http://{}", app.local_addr());
    let admin = app.first_admin().expect("an empty store gets a first admin").clone();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp { address, client: reqwest::Client::new(), admin, data_dir, stop: Some(stop) }
}

impl TestApp {
    /// GET a path of this server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request is answered")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
