//! The server process: opens the store, binds the listener, serves HTTP until told to stop.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;

use std::sync::Arc;

use crate::adapters::backend::local::LocalBackend;
use crate::adapters::extension::cavage::CavageSigner;
use crate::adapters::extension::client::{ClientSettings, HttpExtensionClient};
use crate::adapters::extension::hosts::HostRules;
use crate::adapters::extension::rfc9421::Rfc9421Signer;
use crate::adapters::forge::local::LocalForge;
use crate::adapters::grpc;
use crate::adapters::grpc::client::LinkSettings;
use crate::adapters::grpc::listener::AgentListener;
use crate::adapters::http::listener::HttpListener;
use crate::adapters::http::{self, AppState};
use crate::adapters::socket::ListenAddr;
use crate::app::agent::config::{Launch, machine_hostname, read_agent_id};
use crate::app::agent::service::AgentSettings;
use crate::app::agent_rpc::AgentRpc;
use crate::app::agent_rpc::reaper::REAP_EVERY;
use crate::app::bootstrap::{self, AdminCredentials};
use crate::app::config::{ExtensionConfig, ServerConfig, SignatureForm};
use crate::app::cron_scheduler;
use crate::app::engine::Engine;
use crate::app::hook::Hooks;
use crate::app::identity::random_secret;
use crate::app::identity::{Identity, IdentitySettings};
use crate::app::log_retention;
use crate::app::pipelines::{Endpoint, ExtensionEndpoints, Extensions, PipelineSettings, Pipelines};
use crate::app::profiling;
use crate::app::repos::{RepoDefaults, Repos};
use crate::app::signing_key::SigningKey;
use crate::app::store;
use crate::app::telemetry::{LogLevel, Telemetry};
use crate::domain::log::LogRetention;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::extension::RequestSigner;
use crate::ports::store::Store;

/// A server that is ready to serve: store open and migrated, listeners bound.
pub struct Application {
    http_listener: HttpListener,
    local_addr: ListenAddr,
    state: AppState,
    first_admin: Option<AdminCredentials>,
    agent_listener: AgentListener,
    agent_addr: ListenAddr,
    agent_rpc: AgentRpc,
    log_retention: Option<LogRetention>,
    embedded_agent: Option<Launch>,
}

impl Application {
    /// Opens the store and binds the listen address.
    ///
    /// # Errors
    /// Fails with a one-line cause when the configuration is invalid, the database cannot be
    /// reached or migrated, or the address cannot be bound.
    pub async fn build(config: &ServerConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let sql = store::open_for_server(&config.database, &config.encryption).await?;
        let engine = Engine::open(&config.engine, sql.clone()).await?;
        let store: Arc<dyn Store> = sql;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let local = LocalForge::open(config.local_repos_dir(), config.host.clone()).await?;
        let forge_id = bootstrap::local_forge_id(store.as_ref(), &config.host).await?;
        let settings = IdentitySettings {
            forge_id,
            admins: config.admin.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect(),
            session_ttl: config.session_expires as i64,
        };
        let forge = Arc::new(local);
        let identity = Identity::new(store.clone(), forge.clone(), clock.clone(), settings);
        let first_admin =
            bootstrap::first_admin(store.as_ref(), &forge, &identity, &config.database.data_dir()).await?;
        let defaults = RepoDefaults {
            timeout: config.default_pipeline_timeout,
            cancel_previous_pipeline_events: config.default_cancel_previous_pipeline_events.clone(),
        };
        let repos = Repos::new(
            store.clone(),
            engine.logs.clone(),
            forge.clone(),
            clock.clone(),
            forge_id,
            config.hook_host().to_owned(),
            defaults,
        );
        let signing_key = Arc::new(SigningKey::load_or_create(store.as_ref()).await?);
        let extensions = extensions(&config.extensions, &signing_key)?;
        let pipelines =
            Pipelines::new(engine.clone(), forge.clone(), PipelineSettings::new(config.host.clone()))
                .with_extensions(extensions);
        let hooks = Hooks::new(pipelines.clone(), forge.clone(), forge_id);
        let telemetry = Telemetry {
            log_level: LogLevel::new(&config.log.log_level),
            prometheus_auth_token: config.prometheus_auth_token.clone().filter(|t| !t.is_empty()),
        };
        if telemetry.log_level.verbose() {
            profiling::start_heap_sampling().await;
        }
        let embedded_secret = embedded_agent_secret(config)?;
        let mut grpc_config = config.grpc.clone();
        if embedded_secret.is_some() {
            grpc_config.agent_secret.clone_from(&embedded_secret);
        }
        let agent_rpc = AgentRpc::open(engine.clone(), &grpc_config).await?;
        let state = AppState {
            store,
            identity,
            repos,
            hooks,
            forge,
            host: config.host.clone(),
            telemetry,
            signing_key,
            engine,
            pipelines,
        };
        let socket_mode = config.unix_socket_permission;
        let http_listener = HttpListener::bind(&config.listen_addr()?, socket_mode).await?;
        let local_addr = http_listener.local_addr()?;
        let agent_listener = AgentListener::bind(&config.grpc.listen_addr()?, socket_mode).await?;
        let agent_addr = agent_listener.local_addr()?;
        let log_retention = config.engine.log_retention;
        let embedded_agent = embedded_secret.map(|secret| embedded_agent(config, &agent_addr, secret));
        Ok(Self {
            http_listener,
            local_addr,
            state,
            first_admin,
            agent_listener,
            agent_addr,
            agent_rpc,
            log_retention,
            embedded_agent,
        })
    }

    /// The bound HTTP address (useful with port 0): `ip:port`, or `unix://<path>`.
    pub fn local_addr(&self) -> &ListenAddr {
        &self.local_addr
    }

    /// The bound address of the agent gRPC server (useful with port 0): `ip:port`, or
    /// `unix://<path>`.
    pub fn grpc_addr(&self) -> &ListenAddr {
        &self.agent_addr
    }

    /// The store the server uses (tests set up data through it).
    pub fn store(&self) -> Arc<dyn crate::ports::store::Store> {
        self.state.store.clone()
    }

    /// The execution ports the server uses (tests queue, publish and append through them).
    pub fn engine(&self) -> Engine {
        self.state.engine.clone()
    }

    /// The admin created on this first start, if this was one.
    pub fn first_admin(&self) -> Option<&AdminCredentials> {
        self.first_admin.as_ref()
    }

    /// Serves HTTP and the agent protocol, and reaps expired leases, until `shutdown`
    /// completes; then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr, agents = %self.agent_addr, "nuthatch server listening");
        let shutdown = futures_util::FutureExt::shared(shutdown);
        let crons = cron_scheduler::spawn(self.state.pipelines.clone(), cron_scheduler::DEFAULT_INTERVAL);
        let retention = self
            .log_retention
            .map(|r| log_retention::spawn(self.state.engine.clone(), r, log_retention::SWEEP_EVERY));
        let http = self.http_listener.serve(http::routes(self.state), shutdown.clone());
        let agents = grpc::serve(self.agent_listener, self.agent_rpc.clone(), shutdown.clone());
        let reaper = self.agent_rpc.reap_until(REAP_EVERY, shutdown.clone());
        let embedded = async {
            if let Some(launch) = self.embedded_agent
                && let Err(error) = launch.run(shutdown).await
            {
                tracing::error!(error = format!("{error:#}"), "the embedded agent stopped");
            }
        };
        let (http, agents, (), ()) = tokio::join!(http, agents, reaper, embedded);
        crons.abort();
        if let Some(retention) = retention {
            retention.abort();
        }
        http.context("http server failed")?;
        agents.context("agent grpc server failed")
    }
}

/// The extensions pipelines consult, signing with the cluster's key in the configured form.
fn extensions(config: &ExtensionConfig, key: &SigningKey) -> anyhow::Result<Extensions> {
    let signer: Arc<dyn RequestSigner> = match config.extension_signature {
        SignatureForm::Rfc9421 => Arc::new(Rfc9421Signer::new(key.seed())?),
        SignatureForm::Cavage => Arc::new(CavageSigner::new(key.seed())?),
    };
    let settings = ClientSettings {
        allowed_hosts: HostRules::parse(&config.extensions_allowed_hosts),
        timeout: Duration::from_secs(config.extension_timeout),
        version: crate::app::version::version(),
        ca_file: config.extension_ca_file.clone(),
    };
    let client = HttpExtensionClient::new(signer, settings).context("cannot set up the extension client")?;
    let endpoints = ExtensionEndpoints {
        config: config.config_endpoint().and_then(|url| Endpoint::new(url, config.config_extension_netrc)),
        config_exclusive: config.config_extension_exclusive,
        secret: config
            .secret_extension_endpoint
            .as_deref()
            .and_then(|url| Endpoint::new(url, config.secret_extension_netrc)),
        registry: config
            .registry_extension_endpoint
            .as_deref()
            .and_then(|url| Endpoint::new(url, config.registry_extension_netrc)),
    };
    Ok(Extensions::new(Arc::new(client), endpoints))
}

/// The secret the embedded agent authenticates with, when it runs: the configured system agent
/// secret, else a random one made for this process. Either way the embedded agent logs in like
/// any system agent, and a random secret is of no use to anyone else.
fn embedded_agent_secret(config: &ServerConfig) -> anyhow::Result<Option<String>> {
    if !config.embedded_agent.enabled {
        return Ok(None);
    }
    Ok(Some(config.grpc.agent_secret()?.unwrap_or_else(random_secret)))
}

/// The embedded agent: a local-backend agent talking gRPC to this server over loopback or the
/// unix socket. It keeps its id in the data directory, so restarts reuse its agent entry;
/// workspaces live there too.
fn embedded_agent(config: &ServerConfig, grpc_addr: &ListenAddr, secret: String) -> Launch {
    let data_dir = config.database.data_dir();
    let id_file = data_dir.join("embedded-agent.conf");
    let hostname = machine_hostname();
    Launch {
        link: LinkSettings {
            server: dial_url(grpc_addr),
            agent_token: secret,
            agent_id: read_agent_id(&id_file),
            hostname: hostname.clone(),
            // The server is in the same process: calls fail only while it shuts down.
            retry_budget: EMBEDDED_RETRY_BUDGET,
            tls: None,
        },
        id_file: Some(id_file),
        settings: AgentSettings {
            hostname,
            capacity: config.embedded_agent.capacity.max(1),
            labels: BTreeMap::new(),
            version: crate::app::version::version(),
        },
        backend: Arc::new(LocalBackend::new(data_dir.join("workspaces"))),
        alone: false,
    }
}

/// Where an agent in this process reaches the listener bound at `addr`: loopback of the same IP
/// family and port, or the socket itself.
fn dial_url(addr: &ListenAddr) -> String {
    match addr {
        ListenAddr::Tcp(socket) => {
            let loopback: IpAddr =
                if socket.is_ipv6() { Ipv6Addr::LOCALHOST.into() } else { Ipv4Addr::LOCALHOST.into() };
            format!("http://{}", SocketAddr::new(loopback, socket.port()))
        }
        ListenAddr::Unix(_) => addr.to_string(),
    }
}

/// How long the embedded agent retries a call.
const EMBEDDED_RETRY_BUDGET: Duration = Duration::from_secs(5);

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
