//! Settings of `nuthatch agent` (upstream's agent variable names) and of the agent embedded in
//! `nuthatch server`, and starting an agent from them.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use futures_util::FutureExt;

use crate::adapters::backend::docker::{DockerBackend, DockerSettings, Limits};
use crate::adapters::backend::local::LocalBackend;
use crate::adapters::grpc::client::{GrpcLink, LinkSettings};
use crate::adapters::process::code_pages;
use crate::adapters::tls;
use crate::app::agent::service::{self, AgentSettings};
use crate::app::config::{LogConfig, parse_go_duration, secret_or_file};
use crate::ports::agent_link::AgentLink;
use crate::ports::backend::Backend;

/// Settings of `nuthatch agent`.
#[derive(Debug, Clone, Args)]
pub struct AgentConfig {
    /// `host:port` of the server's agent gRPC listener, or `unix:///path` of its unix socket.
    #[arg(long, env = "WOODPECKER_SERVER", default_value = "localhost:9000")]
    pub server: String,
    /// Connect to the server over TLS (an `https://` server address implies it).
    #[arg(long = "grpc-secure", env = "WOODPECKER_GRPC_SECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub grpc_secure: bool,
    /// Verify the server's TLS certificate (against the system's roots, or `SSL_CERT_FILE`);
    /// `false` accepts any certificate.
    #[arg(long = "grpc-verify", env = "WOODPECKER_GRPC_VERIFY", default_value_t = true, action = clap::ArgAction::Set)]
    pub grpc_verify: bool,
    /// The server's system agent secret, or a per-agent token created in the UI/API.
    #[arg(long, env = "WOODPECKER_AGENT_SECRET", hide_env_values = true)]
    pub agent_secret: Option<String>,
    /// A file holding the agent secret.
    #[arg(long, env = "WOODPECKER_AGENT_SECRET_FILE")]
    pub agent_secret_file: Option<PathBuf>,
    /// Where the agent keeps its id (`{"agent_id":N}`) so a restart reuses its server entry;
    /// empty: a stateless agent that unregisters when it stops.
    #[arg(long, env = "WOODPECKER_AGENT_CONFIG_FILE", default_value = "/etc/woodpecker/agent.conf")]
    pub agent_config_file: PathBuf,
    /// Name of the agent (label `hostname`, `CI_MACHINE`); default: the machine's host name.
    #[arg(long, env = "WOODPECKER_HOSTNAME")]
    pub hostname: Option<String>,
    /// How many workflows run at once.
    #[arg(long, env = "WOODPECKER_MAX_WORKFLOWS", default_value_t = 1)]
    pub max_workflows: usize,
    /// Extra labels `key=value,...`; they override `hostname`, `platform`, `backend`, `repo`.
    #[arg(long, env = "WOODPECKER_AGENT_LABELS", value_delimiter = ',')]
    pub agent_labels: Vec<String>,
    /// Older name of `WOODPECKER_AGENT_LABELS`.
    #[arg(long, env = "WOODPECKER_FILTER_LABELS", value_delimiter = ',', hide = true)]
    pub filter_labels: Vec<String>,
    /// Where steps run: `local`, `docker`, or `auto-detect` (docker when a daemon answers,
    /// else local).
    #[arg(long, env = "WOODPECKER_BACKEND", default_value = "auto-detect")]
    pub backend: String,
    /// Directory of the local backend's workspaces (default: `nuthatch-local` in the temp dir).
    #[arg(long, env = "WOODPECKER_BACKEND_LOCAL_TEMP_DIR")]
    pub local_temp_dir: Option<PathBuf>,
    /// Settings of the docker backend.
    #[command(flatten)]
    pub docker: DockerConfig,
    /// How long calls to an unreachable server are retried (Go duration).
    #[arg(long, env = "WOODPECKER_RETRY_TIMEOUT", default_value = "2m", value_parser = parse_go_duration)]
    pub retry_timeout: u64,
    /// Logging settings.
    #[command(flatten)]
    pub log: LogConfig,
}

/// Settings of the docker backend (upstream's names).
#[derive(Debug, Clone, Args)]
pub struct DockerConfig {
    /// The daemon: `unix:///path` or `tcp://host:port` (default: `unix:///var/run/docker.sock`).
    #[arg(long = "backend-docker-host", env = "WOODPECKER_BACKEND_DOCKER_HOST")]
    pub host: Option<String>,
    /// Docker's own name for the daemon, used when `WOODPECKER_BACKEND_DOCKER_HOST` is unset.
    #[arg(long = "docker-host", env = "DOCKER_HOST", hide = true)]
    pub docker_host: Option<String>,
    /// A network every step joins besides the workflow's.
    #[arg(long = "backend-docker-network", env = "WOODPECKER_BACKEND_DOCKER_NETWORK")]
    pub network: Option<String>,
    /// Binds every step container gets, `source:target[:mode],...`.
    #[arg(long = "backend-docker-volumes", env = "WOODPECKER_BACKEND_DOCKER_VOLUMES", value_delimiter = ',')]
    pub volumes: Vec<String>,
    /// Create the workflow networks with IPv6.
    #[arg(long = "backend-docker-enable-ipv6", env = "WOODPECKER_BACKEND_DOCKER_ENABLE_IPV6", default_value_t = false, action = clap::ArgAction::Set)]
    pub enable_ipv6: bool,
    /// Memory of each container, in bytes (0: no limit).
    #[arg(
        long = "backend-docker-limit-mem",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_MEM",
        default_value_t = 0
    )]
    pub limit_mem: i64,
    /// Memory plus swap of each container, in bytes (0: no limit).
    #[arg(
        long = "backend-docker-limit-mem-swap",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_MEM_SWAP",
        default_value_t = 0
    )]
    pub limit_mem_swap: i64,
    /// Size of each container's `/dev/shm`, in bytes (0: the daemon's default).
    #[arg(
        long = "backend-docker-limit-shm-size",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_SHM_SIZE",
        default_value_t = 0
    )]
    pub limit_shm_size: i64,
    /// CPU quota of each container, microseconds per 100 ms (0: no limit).
    #[arg(
        long = "backend-docker-limit-cpu-quota",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_CPU_QUOTA",
        default_value_t = 0
    )]
    pub limit_cpu_quota: i64,
    /// CPU shares (relative weight) of each container (0: the daemon's default).
    #[arg(
        long = "backend-docker-limit-cpu-shares",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_CPU_SHARES",
        default_value_t = 0
    )]
    pub limit_cpu_shares: i64,
    /// CPUs each container may run on, e.g. `0-3` (empty: any).
    #[arg(
        long = "backend-docker-limit-cpu-set",
        env = "WOODPECKER_BACKEND_DOCKER_LIMIT_CPU_SET",
        default_value = ""
    )]
    pub limit_cpu_set: String,
}

impl DockerConfig {
    /// The docker backend's settings.
    ///
    /// # Errors
    /// When a volume is not `source:target[:mode]`.
    pub fn settings(&self) -> anyhow::Result<DockerSettings> {
        let volumes: Vec<String> =
            self.volumes.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned).collect();
        if let Some(bad) = volumes.iter().find(|v| !is_bind(v)) {
            bail!("WOODPECKER_BACKEND_DOCKER_VOLUMES entry '{bad}' is not source:target[:mode]");
        }
        Ok(DockerSettings {
            host: self.host.clone().or_else(|| self.docker_host.clone()).filter(|h| !h.is_empty()),
            network: self.network.clone().filter(|n| !n.is_empty()),
            volumes,
            enable_ipv6: self.enable_ipv6,
            limits: Limits {
                mem: self.limit_mem,
                mem_swap: self.limit_mem_swap,
                shm_size: self.limit_shm_size,
                cpu_quota: self.limit_cpu_quota,
                cpu_shares: self.limit_cpu_shares,
                cpu_set: self.limit_cpu_set.trim().to_owned(),
            },
        })
    }
}

/// `source:target` or `source:target:mode`, each part non-empty.
fn is_bind(volume: &str) -> bool {
    let parts: Vec<&str> = volume.split(':').collect();
    (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty())
}

/// Settings of the agent `nuthatch server` runs in its own process.
#[derive(Debug, Clone, Args)]
pub struct EmbeddedAgentConfig {
    /// Run a local-backend agent inside the server (over the same gRPC protocol, on loopback or
    /// the gRPC unix socket).
    #[arg(long = "embedded-agent", env = "NUTHATCH_EMBEDDED_AGENT", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// How many workflows the embedded agent runs at once.
    #[arg(long = "embedded-agent-capacity", env = "NUTHATCH_EMBEDDED_AGENT_CAPACITY", default_value_t = 2)]
    pub capacity: usize,
}

impl AgentConfig {
    /// The agent settings these flags describe.
    ///
    /// # Errors
    /// When a label is not `key=value`.
    pub fn settings(&self) -> anyhow::Result<AgentSettings> {
        Ok(AgentSettings {
            hostname: self.hostname.clone().filter(|h| !h.is_empty()).unwrap_or_else(machine_hostname),
            capacity: self.max_workflows.max(1),
            labels: parse_labels(self.filter_labels.iter().chain(&self.agent_labels))?,
            version: crate::app::version::version(),
        })
    }

    /// The backend to run steps on; `auto-detect` takes docker when a daemon answers within
    /// [`DETECT_TIMEOUT`], else local.
    ///
    /// # Errors
    /// For a backend this build does not have, invalid docker settings, or (with `docker`) a
    /// daemon that does not answer.
    pub async fn backend(&self) -> anyhow::Result<Arc<dyn Backend>> {
        let local =
            || -> Arc<dyn Backend> { Arc::new(LocalBackend::new(workspace_root(&self.local_temp_dir))) };
        match self.backend.as_str() {
            "local" => Ok(local()),
            "docker" => {
                let docker = DockerBackend::connect(self.docker.settings()?).await;
                Ok(Arc::new(docker.context("WOODPECKER_BACKEND=docker")?))
            }
            "auto-detect" | "" => {
                let settings = self.docker.settings()?;
                match tokio::time::timeout(DETECT_TIMEOUT, DockerBackend::connect(settings)).await {
                    Ok(Ok(docker)) => {
                        tracing::info!(
                            "backend auto-detect: a docker daemon answers; running steps in containers"
                        );
                        Ok(Arc::new(docker))
                    }
                    Ok(Err(error)) => {
                        tracing::info!(%error, "backend auto-detect: no docker daemon; running steps as local processes");
                        Ok(local())
                    }
                    Err(_) => {
                        tracing::info!(
                            "backend auto-detect: the docker daemon does not answer; running steps as local processes"
                        );
                        Ok(local())
                    }
                }
            }
            other => bail!("WOODPECKER_BACKEND '{other}' is not available (this build has: local, docker)"),
        }
    }

    /// The id file, unless the agent is stateless.
    fn id_file(&self) -> Option<&Path> {
        Some(self.agent_config_file.as_path()).filter(|p| !p.as_os_str().is_empty())
    }

    /// The TLS settings of the link, when it is to use TLS.
    fn tls(&self) -> anyhow::Result<Option<rustls::ClientConfig>> {
        if !(self.grpc_secure || self.server.starts_with("https://")) {
            return Ok(None);
        }
        let config =
            if self.grpc_verify { tls::client_config(None) } else { tls::unverified_client_config() };
        config.context("cannot set up TLS to the server").map(Some)
    }
}

/// How long `auto-detect` waits for a docker daemon.
pub const DETECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `key=value` pairs as a map.
fn parse_labels<'a>(pairs: impl IntoIterator<Item = &'a String>) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => bail!("agent label '{pair}' is not key=value"),
        })
        .collect()
}

/// The workspace directory of the local backend.
pub fn workspace_root(configured: &Option<PathBuf>) -> PathBuf {
    configured.clone().unwrap_or_else(|| std::env::temp_dir().join("nuthatch-local"))
}

/// The machine's host name, or `localhost` when it cannot be read.
pub fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The agent id kept in `file` (`{"agent_id":N}`), or -1 when there is none.
pub fn read_agent_id(file: &Path) -> i64 {
    #[derive(serde::Deserialize)]
    struct Saved {
        agent_id: i64,
    }
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Saved>(&bytes).ok())
        .map_or(-1, |saved| saved.agent_id)
}

/// Keeps the agent id in `file`; a failure is only logged (the agent then registers anew next
/// time).
pub fn write_agent_id(file: &Path, agent_id: i64) {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(file, format!("{{\"agent_id\":{agent_id}}}\n"))
    };
    if let Err(error) = write() {
        tracing::warn!(file = %file.display(), %error, "cannot keep the agent id");
    }
}

/// Everything an agent process needs beyond its link.
pub struct Launch {
    /// Where to connect.
    pub link: LinkSettings,
    /// Where to keep the agent id (`None`: stateless).
    pub id_file: Option<PathBuf>,
    /// What the agent is.
    pub settings: AgentSettings,
    /// Where steps run.
    pub backend: Arc<dyn Backend>,
    /// Whether the process is only this agent, which then gives back its code pages each time
    /// it becomes idle (an agent inside the server keeps them: the server runs that code).
    pub alone: bool,
}

impl Launch {
    /// The launch `nuthatch agent` does.
    ///
    /// # Errors
    /// For invalid settings or an unreadable secret file.
    pub async fn from_config(config: &AgentConfig) -> anyhow::Result<Self> {
        let agent_token =
            secret_or_file(&config.agent_secret, &config.agent_secret_file, "WOODPECKER_AGENT_SECRET_FILE")?
                .context("WOODPECKER_AGENT_SECRET (or _FILE) is required")?;
        let settings = config.settings()?;
        let id_file = config.id_file().map(Path::to_path_buf);
        let link = LinkSettings {
            server: config.server.clone(),
            agent_token,
            agent_id: id_file.as_deref().map_or(-1, read_agent_id),
            hostname: settings.hostname.clone(),
            retry_budget: Duration::from_secs(config.retry_timeout),
            tls: config.tls()?,
        };
        Ok(Self { link, id_file, settings, backend: config.backend().await?, alone: true })
    }

    /// Connects and runs the agent until `shutdown` completes; a stateless agent then
    /// unregisters.
    ///
    /// # Errors
    /// When the server cannot be reached or refuses the agent.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let shutdown = shutdown.shared();
        let link = tokio::select! {
            link = GrpcLink::connect(self.link) => link.context("cannot connect to the server")?,
            () = shutdown.clone() => return Ok(()),
        };
        let link: Arc<dyn AgentLink> = Arc::new(link);
        let id_file = self.id_file.clone();
        let alone = self.alone;
        let registered = |id| {
            if let Some(file) = &id_file {
                write_agent_id(file, id);
            }
        };
        let idle = move || {
            if alone {
                match code_pages::release() {
                    Ok(bytes) => tracing::debug!(bytes, "idle: released the code pages"),
                    Err(error) => tracing::debug!(%error, "idle: cannot release the code pages"),
                }
            }
        };
        let hooks = service::Hooks { registered, idle };
        service::run(link.clone(), self.backend, self.settings, hooks, shutdown)
            .await
            .context("cannot register the agent")?;
        if self.id_file.is_none()
            && let Err(error) = link.unregister().await
        {
            tracing::warn!(%error, "cannot unregister the agent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_key_value_pairs() {
        let pairs = ["a=1".to_owned(), " b = x=y ".to_owned(), String::new()];
        let labels = parse_labels(&pairs).unwrap();
        assert_eq!(labels, BTreeMap::from([("a".into(), "1".into()), ("b".into(), "x=y".into())]));
        assert!(parse_labels(&["novalue".to_owned()]).is_err());
    }

    /// The docker settings of these command-line arguments.
    fn docker_config(args: &[&str]) -> DockerConfig {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            docker: DockerConfig,
        }
        <Command as clap::Parser>::parse_from(std::iter::once("agent").chain(args.iter().copied())).docker
    }

    #[test]
    fn docker_volumes_must_be_binds() {
        let config = |volumes: &str| {
            docker_config(&[
                "--docker-host=tcp://127.0.0.1:2375",
                "--backend-docker-network=",
                &format!("--backend-docker-volumes={volumes}"),
            ])
        };
        let settings = config("/cache:/cache:ro, ").settings().unwrap();
        assert_eq!(settings.volumes, ["/cache:/cache:ro"]);
        assert_eq!(settings.host.as_deref(), Some("tcp://127.0.0.1:2375"), "DOCKER_HOST is the fallback");
        assert_eq!(settings.network, None);
        let error = config("/cache").settings().unwrap_err().to_string();
        assert!(error.contains("'/cache' is not source:target"), "{error}");
    }

    #[test]
    fn docker_limits_default_to_none_and_take_upstreams_units() {
        assert_eq!(docker_config(&[]).settings().unwrap().limits, Limits::default());
        let limits = docker_config(&[
            "--backend-docker-limit-mem=536870912",
            "--backend-docker-limit-mem-swap=-1",
            "--backend-docker-limit-shm-size=67108864",
            "--backend-docker-limit-cpu-quota=50000",
            "--backend-docker-limit-cpu-shares=512",
            "--backend-docker-limit-cpu-set= 0-1 ",
        ])
        .settings()
        .unwrap()
        .limits;
        let expected = Limits {
            mem: 536_870_912,
            mem_swap: -1,
            shm_size: 67_108_864,
            cpu_quota: 50_000,
            cpu_shares: 512,
            cpu_set: "0-1".into(),
        };
        assert_eq!(limits, expected);
    }

    #[test]
    fn the_agent_id_survives_in_its_file() {
        let dir = std::env::temp_dir().join(format!("nuthatch-agent-id-{}", std::process::id()));
        let file = dir.join("nested/agent.conf");
        assert_eq!(read_agent_id(&file), -1);
        write_agent_id(&file, 42);
        assert_eq!(read_agent_id(&file), 42);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
