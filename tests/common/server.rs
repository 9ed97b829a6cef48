//! Settings of a server started by a black-box test: its own data directory, loopback ports
//! chosen by the system, quiet logs, no embedded agent.

use std::path::PathBuf;

use nuthatch::app::config::{LogConfig, LogFormat, ServerConfig};

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

/// Server settings for a test: port 0 on loopback for HTTP and gRPC, the given data dir,
/// quiet logs.
pub fn test_config(data_dir: PathBuf) -> ServerConfig {
    let mut config = ServerConfig::from_env().expect("default settings parse");
    config.server_addr = "127.0.0.1:0".into();
    config.grpc.grpc_addr = "127.0.0.1:0".into();
    config.host = "http://localhost".into();
    config.database.database_driver = "sqlite3".into();
    config.database.database_datasource = None;
    config.database.database_max_connections = 4;
    config.database.data_dir = Some(data_dir);
    config.log = LogConfig { log_level: "warn".into(), log_format: LogFormat::Text };
    // Tests play the agent themselves or start one; an embedded agent would take their work.
    config.embedded_agent.enabled = false;
    config
}
