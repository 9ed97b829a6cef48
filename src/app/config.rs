//! Server configuration from flags and the environment. Upstream's `WOODPECKER_*` names are
//! accepted as they are, so an existing deployment's env file works; settings Woodpecker does
//! not have use `NUTHATCH_*`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::adapters::socket::{ListenAddr, unix};
use crate::domain::event::WebhookEvent;
use crate::domain::log::LogRetention;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings, shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// Lowest level logged: trace, debug, info, warn, error.
    #[arg(long, env = "WOODPECKER_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// `text` or `json`.
    #[arg(long, env = "NUTHATCH_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// Where the database is and how to reach it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `sqlite3`, `postgres` or `mysql`.
    #[arg(long, env = "WOODPECKER_DATABASE_DRIVER", default_value = "sqlite3")]
    pub database_driver: String,
    /// Connection string; for SQLite a file path (default: `nuthatch.sqlite` in the data dir).
    #[arg(long, env = "WOODPECKER_DATABASE_DATASOURCE", hide_env_values = true)]
    pub database_datasource: Option<String>,
    /// A file holding the connection string (upstream's `_FILE` variant).
    #[arg(long, env = "WOODPECKER_DATABASE_DATASOURCE_FILE")]
    pub database_datasource_file: Option<PathBuf>,
    /// Most connections the pool opens.
    #[arg(long, env = "WOODPECKER_DATABASE_MAX_CONNECTIONS", default_value_t = 20)]
    pub database_max_connections: usize,
    /// Directory for Nuthatch's own files (the default SQLite database, ...); created on start.
    #[arg(long, env = "NUTHATCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Which queue holds workflows waiting for agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueueKind {
    /// In this process: fastest; queued work is lost when the server stops.
    Memory,
    /// In the SQL database: survives restarts, shared by servers on the same database.
    Database,
    /// In Redis: survives restarts, shared by every server on the same Redis.
    Redis,
}

/// Which backend carries pipeline events and live log lines between servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PubSubKind {
    /// In this process (one server).
    Memory,
    /// Redis pub/sub and streams (several servers).
    Redis,
}

/// Where step logs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogStoreKind {
    /// In the SQL database (upstream's `addon` is not supported).
    Database,
    /// One JSON-lines file per step under `WOODPECKER_LOG_STORE_FILE_PATH`.
    File,
}

/// Settings of pipeline execution: queue, pub/sub, logs.
#[derive(Debug, Clone, Args)]
pub struct EngineConfig {
    /// `memory`, `database` or `redis` (default: `redis` when a Redis URL is set, else `memory`).
    #[arg(long, env = "NUTHATCH_QUEUE", value_enum)]
    pub queue: Option<QueueKind>,
    /// `memory` or `redis` (default: `redis` when a Redis URL is set, else `memory`).
    #[arg(long, env = "NUTHATCH_PUBSUB", value_enum)]
    pub pubsub: Option<PubSubKind>,
    /// Redis for several servers (`redis://host:6379/0`).
    #[arg(long, env = "NUTHATCH_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so installations can share one Redis.
    #[arg(long, env = "NUTHATCH_REDIS_PREFIX", default_value = "nuthatch:")]
    pub redis_prefix: String,
    /// Where step logs are kept: `database` or `file`.
    #[arg(long, env = "WOODPECKER_LOG_STORE", value_enum, default_value = "database")]
    pub log_store: LogStoreKind,
    /// Directory of the log files when `WOODPECKER_LOG_STORE=file`; created when missing.
    #[arg(long, env = "WOODPECKER_LOG_STORE_FILE_PATH")]
    pub log_store_file_path: Option<PathBuf>,
    /// How long step logs are kept: `30d` (pipelines finished in the last 30 days) or `100p`
    /// (each repo's 100 newest pipelines); unset keeps every log.
    #[arg(long, env = "NUTHATCH_LOG_RETENTION", value_parser = LogRetention::parse)]
    pub log_retention: Option<LogRetention>,
    /// How long a workflow handed to an agent stays leased without `Extend` (Go duration;
    /// upstream: 60 s). Tests shorten it to see lost agents handled quickly.
    #[arg(long, env = "NUTHATCH_QUEUE_LEASE", default_value = "60s", value_parser = parse_go_duration)]
    pub queue_lease: u64,
}

impl EngineConfig {
    /// The queue to use, after defaults.
    pub fn queue_kind(&self) -> QueueKind {
        self.queue.unwrap_or(if self.redis_url.is_some() { QueueKind::Redis } else { QueueKind::Memory })
    }

    /// The pub/sub to use, after defaults.
    pub fn pubsub_kind(&self) -> PubSubKind {
        self.pubsub.unwrap_or(if self.redis_url.is_some() { PubSubKind::Redis } else { PubSubKind::Memory })
    }
}

/// Settings of the agent gRPC server.
#[derive(Debug, Clone, Args)]
pub struct GrpcConfig {
    /// Listen address of the agent gRPC server: `:9000` means every interface, as upstream;
    /// `unix:///path` a unix socket.
    #[arg(long, env = "WOODPECKER_GRPC_ADDR", default_value = ":9000")]
    pub grpc_addr: String,
    /// Shared secret system agents authenticate with; unset allows per-agent tokens only.
    #[arg(long, env = "WOODPECKER_AGENT_SECRET", hide_env_values = true)]
    pub agent_secret: Option<String>,
    /// A file holding the agent secret.
    #[arg(long, env = "WOODPECKER_AGENT_SECRET_FILE")]
    pub agent_secret_file: Option<PathBuf>,
    /// Secret agents' access tokens are signed with; unset: a random one kept in the database,
    /// so tokens survive restarts and every server of a cluster accepts them.
    #[arg(long, env = "WOODPECKER_GRPC_SECRET", hide_env_values = true)]
    pub grpc_secret: Option<String>,
    /// A file holding the gRPC secret.
    #[arg(long, env = "WOODPECKER_GRPC_SECRET_FILE")]
    pub grpc_secret_file: Option<PathBuf>,
    /// Accepted for compatibility: upstream's lower bound on client ping intervals. Nuthatch
    /// answers agents' keepalive pings at any rate, so there is nothing to enforce.
    #[arg(long, env = "WOODPECKER_KEEPALIVE_MIN_TIME", value_parser = parse_go_duration)]
    pub keepalive_min_time: Option<u64>,
}

impl GrpcConfig {
    /// The address to bind, from `grpc_addr`.
    pub fn listen_addr(&self) -> anyhow::Result<ListenAddr> {
        ListenAddr::parse(&self.grpc_addr)
    }

    /// The agent secret: the setting, else the `_FILE` variant's content; `None` when unset or empty.
    pub fn agent_secret(&self) -> anyhow::Result<Option<String>> {
        secret_or_file(&self.agent_secret, &self.agent_secret_file, "WOODPECKER_AGENT_SECRET_FILE")
    }

    /// The gRPC signing secret: the setting, else the `_FILE` variant's content.
    pub fn grpc_secret(&self) -> anyhow::Result<Option<String>> {
        secret_or_file(&self.grpc_secret, &self.grpc_secret_file, "WOODPECKER_GRPC_SECRET_FILE")
    }
}

/// A secret given directly or in a file (trimmed); `None` when neither is set or it is empty.
pub fn secret_or_file(
    value: &Option<String>,
    file: &Option<PathBuf>,
    file_var: &str,
) -> anyhow::Result<Option<String>> {
    let secret = match (value, file) {
        (Some(v), _) => v.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {file_var} {}", path.display()))?
            .trim()
            .to_owned(),
        (None, None) => String::new(),
    };
    Ok(Some(secret).filter(|s| !s.is_empty()))
}

/// How extension requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignatureForm {
    /// HTTP Message Signatures (RFC 9421), as Woodpecker 3.x signs.
    Rfc9421,
    /// The `Signature:` header of draft-cavage, which Woodpecker 2.x services verify.
    Cavage,
}

/// Settings of the config, secret and registry extensions (engine.md §7.2–§7.4).
#[derive(Debug, Clone, Args)]
pub struct ExtensionConfig {
    /// Config extension every repo's pipelines go through (after the forge's files).
    #[arg(long, env = "WOODPECKER_CONFIG_EXTENSION_ENDPOINT")]
    pub config_extension_endpoint: Option<String>,
    /// The config extension's older name.
    #[arg(long, env = "WOODPECKER_CONFIG_SERVICE_ENDPOINT", hide = true)]
    pub config_service_endpoint: Option<String>,
    /// Build only from the config extension's files, never fetching the forge's.
    #[arg(long, env = "WOODPECKER_CONFIG_EXTENSION_EXCLUSIVE", default_value_t = false, action = clap::ArgAction::Set)]
    pub config_extension_exclusive: bool,
    /// Send clone credentials to the config extension.
    #[arg(long, env = "WOODPECKER_CONFIG_EXTENSION_NETRC", default_value_t = false, action = clap::ArgAction::Set)]
    pub config_extension_netrc: bool,
    /// Secret extension every repo's pipelines ask.
    #[arg(long, env = "WOODPECKER_SECRET_EXTENSION_ENDPOINT")]
    pub secret_extension_endpoint: Option<String>,
    /// Send clone credentials to the secret extension.
    #[arg(long, env = "WOODPECKER_SECRET_EXTENSION_NETRC", default_value_t = false, action = clap::ArgAction::Set)]
    pub secret_extension_netrc: bool,
    /// Registry extension every repo's pipelines ask.
    #[arg(long, env = "WOODPECKER_REGISTRY_EXTENSION_ENDPOINT")]
    pub registry_extension_endpoint: Option<String>,
    /// Send clone credentials to the registry extension.
    #[arg(long, env = "WOODPECKER_REGISTRY_EXTENSION_NETRC", default_value_t = false, action = clap::ArgAction::Set)]
    pub registry_extension_netrc: bool,
    /// Hosts extension requests may go to: `external`, `private`, `loopback`, `*`, CIDRs and
    /// host name globs, comma-separated.
    #[arg(long, env = "WOODPECKER_EXTENSIONS_ALLOWED_HOSTS", default_value = "external")]
    pub extensions_allowed_hosts: String,
    /// `rfc9421` (Woodpecker 3.x) or `cavage` (Woodpecker 2.x services).
    #[arg(long, env = "NUTHATCH_EXTENSION_SIGNATURE", value_enum, default_value = "rfc9421")]
    pub extension_signature: SignatureForm,
    /// Limit of one extension request (Go duration); three tries are made.
    #[arg(long, env = "NUTHATCH_EXTENSION_TIMEOUT", default_value = "10s", value_parser = parse_go_duration)]
    pub extension_timeout: u64,
    /// PEM bundle of CAs trusted for `https://` extensions besides the system's.
    #[arg(long, env = "NUTHATCH_EXTENSION_CA_FILE")]
    pub extension_ca_file: Option<std::path::PathBuf>,
}

impl ExtensionConfig {
    /// The global config extension, under either of its names.
    pub fn config_endpoint(&self) -> Option<&str> {
        self.config_extension_endpoint
            .as_deref()
            .or(self.config_service_endpoint.as_deref())
            .filter(|e| !e.trim().is_empty())
    }
}

/// Encryption of credentials at rest (upstream's `WOODPECKER_ENCRYPTION_*`); off by default.
#[derive(Debug, Clone, Args)]
pub struct EncryptionConfig {
    /// Key sealing secret values and registry passwords in the database (any length; hashed
    /// into an AES-256 key). Once set, the server does not start without it.
    #[arg(long, env = "WOODPECKER_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// A file holding the encryption key.
    #[arg(long, env = "WOODPECKER_ENCRYPTION_KEY_FILE")]
    pub encryption_key_file: Option<PathBuf>,
    /// Upstream's Tink keyset; not supported, start-up fails when it is set.
    #[arg(long, env = "WOODPECKER_ENCRYPTION_TINK_KEYSET_FILE")]
    pub encryption_tink_keyset_file: Option<PathBuf>,
    /// Decrypt every credential at start (the key is still needed) and run without encryption.
    #[arg(long, env = "WOODPECKER_ENCRYPTION_DISABLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub encryption_disable: bool,
}

impl EncryptionConfig {
    /// The encryption key: the setting, else the `_FILE` variant's content; `None` when unset or
    /// empty.
    ///
    /// # Errors
    /// When a Tink keyset is configured (not supported) or the key file cannot be read.
    pub fn key(&self) -> anyhow::Result<Option<String>> {
        if let Some(keyset) = self.encryption_tink_keyset_file.as_ref().filter(|p| !p.as_os_str().is_empty())
        {
            bail!(
                "WOODPECKER_ENCRYPTION_TINK_KEYSET_FILE={} is set, but Tink keysets are not supported: \
                 use WOODPECKER_ENCRYPTION_KEY or WOODPECKER_ENCRYPTION_KEY_FILE",
                keyset.display()
            );
        }
        secret_or_file(&self.encryption_key, &self.encryption_key_file, "WOODPECKER_ENCRYPTION_KEY_FILE")
    }
}

/// Settings of `nuthatch server`.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// HTTP listen address: `:8000` means every interface, as upstream; `unix:///path` a unix
    /// socket.
    #[arg(long, env = "WOODPECKER_SERVER_ADDR", default_value = ":8000")]
    pub server_addr: String,
    /// File mode (octal) of the unix sockets the HTTP and gRPC listeners create.
    #[arg(long, env = "WOODPECKER_UNIX_SOCKET_PERMISSION", default_value = "0666", value_parser = unix::parse_mode)]
    pub unix_socket_permission: u32,
    /// Public URL of the server (`scheme://host[/prefix]`).
    #[arg(long, env = "WOODPECKER_HOST", default_value = "http://localhost:8000")]
    pub host: String,
    /// Base URL forges send webhooks to, when it differs from `WOODPECKER_HOST`.
    #[arg(long, env = "WOODPECKER_WEBHOOK_HOST")]
    pub webhook_host: Option<String>,
    /// Logins that are server admins (comma-separated).
    #[arg(long, env = "WOODPECKER_ADMIN", value_delimiter = ',')]
    pub admin: Vec<String>,
    /// How long a browser session lasts (Go duration: `72h`, `30m`, `90s`).
    #[arg(long, env = "WOODPECKER_SESSION_EXPIRES", default_value = "72h", value_parser = parse_go_duration)]
    pub session_expires: u64,
    /// Default pipeline timeout of new repos, in minutes.
    #[arg(long, env = "WOODPECKER_DEFAULT_PIPELINE_TIMEOUT", default_value_t = 60)]
    pub default_pipeline_timeout: i64,
    /// Events whose new pipelines cancel older active ones of newly activated repos.
    #[arg(
        long,
        env = "WOODPECKER_DEFAULT_CANCEL_PREVIOUS_PIPELINE_EVENTS",
        value_delimiter = ',',
        default_value = "push,pull_request"
    )]
    pub default_cancel_previous_pipeline_events: Vec<WebhookEvent>,
    /// Directory of the built-in forge's git repositories (default: `repos` in the data dir).
    #[arg(long, env = "NUTHATCH_LOCAL_REPOS")]
    pub local_repos: Option<PathBuf>,
    /// Bearer token `/metrics` requires; unset disables `/metrics` (404).
    #[arg(long, env = "WOODPECKER_PROMETHEUS_AUTH_TOKEN", hide_env_values = true)]
    pub prometheus_auth_token: Option<String>,
    /// Database settings.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Queue, pub/sub and log settings.
    #[command(flatten)]
    pub engine: EngineConfig,
    /// Agent gRPC server settings.
    #[command(flatten)]
    pub grpc: GrpcConfig,
    /// Config, secret and registry extensions.
    #[command(flatten)]
    pub extensions: ExtensionConfig,
    /// Encryption of credentials at rest.
    #[command(flatten)]
    pub encryption: EncryptionConfig,
    /// The agent the server runs in-process.
    #[command(flatten)]
    pub embedded_agent: crate::app::agent::config::EmbeddedAgentConfig,
    /// Logging settings.
    #[command(flatten)]
    pub log: LogConfig,
}

impl ServerConfig {
    /// Every setting at its default, or as the environment sets it: a base for tests and tools,
    /// which then override the fields they care about.
    ///
    /// # Errors
    /// When an environment variable holds an invalid value.
    pub fn from_env() -> anyhow::Result<Self> {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            config: ServerConfig,
        }
        let only = <Only as clap::Parser>::try_parse_from(["nuthatch"]).context("invalid server settings")?;
        Ok(only.config)
    }

    /// The address to bind, from `server_addr`.
    pub fn listen_addr(&self) -> anyhow::Result<ListenAddr> {
        ListenAddr::parse(&self.server_addr)
    }

    /// Checks settings that clap cannot check alone.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.host.contains("://") {
            bail!("WOODPECKER_HOST must look like scheme://host, got '{}'", self.host);
        }
        self.listen_addr()?;
        self.grpc.listen_addr()?;
        let needs_redis =
            self.engine.queue_kind() == QueueKind::Redis || self.engine.pubsub_kind() == PubSubKind::Redis;
        if needs_redis && self.engine.redis_url.is_none() {
            bail!("NUTHATCH_QUEUE/NUTHATCH_PUBSUB=redis needs NUTHATCH_REDIS_URL");
        }
        if self.engine.log_store == LogStoreKind::File && self.engine.log_store_file_path.is_none() {
            bail!("WOODPECKER_LOG_STORE=file needs WOODPECKER_LOG_STORE_FILE_PATH");
        }
        Ok(())
    }
}

impl ServerConfig {
    /// The local forge's repository directory.
    pub fn local_repos_dir(&self) -> PathBuf {
        self.local_repos.clone().unwrap_or_else(|| self.database.data_dir().join("repos"))
    }

    /// Where webhooks are sent.
    pub fn hook_host(&self) -> &str {
        self.webhook_host.as_deref().unwrap_or(&self.host)
    }
}

/// Parses a Go duration of hours, minutes and seconds (`72h`, `1h30m`, `45s`) into seconds.
pub fn parse_go_duration(text: &str) -> Result<u64, String> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("invalid duration '{text}': unknown unit '{c}'")),
        };
        let n: u64 = digits.parse().map_err(|_| format!("invalid duration '{text}'"))?;
        total += n * unit;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(format!("invalid duration '{text}' (expected e.g. 72h, 30m, 90s)"));
    }
    Ok(total)
}

impl DatabaseConfig {
    /// The data directory: the setting, else `$XDG_DATA_HOME/nuthatch`, else
    /// `~/.local/share/nuthatch`, else `./nuthatch-data`.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let xdg = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
        let home =
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| Path::new(&h).join(".local/share"));
        xdg.or(home).map(|base| base.join("nuthatch")).unwrap_or_else(|| PathBuf::from("nuthatch-data"))
    }

    /// The connection string: the setting, else the `_FILE` variant's content, else the default
    /// SQLite file in the data directory (which is created so the file can be).
    pub fn datasource(&self) -> anyhow::Result<String> {
        if let Some(ds) = &self.database_datasource {
            return Ok(ds.clone());
        }
        if let Some(file) = &self.database_datasource_file {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read WOODPECKER_DATABASE_DATASOURCE_FILE {}", file.display())
            })?;
            return Ok(text.trim().to_owned());
        }
        let dir = self.data_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        Ok(dir.join("nuthatch.sqlite").to_string_lossy().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(datasource: Option<&str>, data_dir: &Path) -> DatabaseConfig {
        DatabaseConfig {
            database_driver: "sqlite3".into(),
            database_datasource: datasource.map(str::to_owned),
            database_datasource_file: None,
            database_max_connections: 4,
            data_dir: Some(data_dir.to_owned()),
        }
    }

    #[test]
    fn the_default_sqlite_file_lives_in_a_created_data_dir() {
        let tmp = std::env::temp_dir().join(format!("nuthatch-config-{}", std::process::id()));
        let dir = tmp.join("nested/data");
        let ds = db(None, &dir).datasource().unwrap();
        assert!(dir.is_dir());
        assert_eq!(ds, dir.join("nuthatch.sqlite").to_string_lossy());
        std::fs::remove_dir_all(tmp).unwrap();
    }

    #[test]
    fn go_durations_parse_to_seconds() {
        assert_eq!(parse_go_duration("72h"), Ok(72 * 3600));
        assert_eq!(parse_go_duration("1h30m15s"), Ok(5415));
        assert!(parse_go_duration("10").is_err());
        assert!(parse_go_duration("3d").is_err());
        assert!(parse_go_duration("").is_err());
    }

    #[test]
    fn an_explicit_datasource_wins() {
        assert_eq!(db(Some("postgres://x"), Path::new("/nonexistent")).datasource().unwrap(), "postgres://x");
    }
}
