//! The server process: opens the store, binds the listener, serves HTTP until told to stop.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};

use std::sync::Arc;

use crate::adapters::forge::local::LocalForge;
use crate::adapters::http::{self, AppState};
use crate::app::bootstrap::{self, AdminCredentials};
use crate::app::config::ServerConfig;
use crate::app::hook::Hooks;
use crate::app::identity::{Identity, IdentitySettings};
use crate::app::repos::{RepoDefaults, Repos};
use crate::app::profiling;
use crate::app::signing_key::SigningKey;
use crate::app::store;
use crate::app::telemetry::{LogLevel, Telemetry};
use crate::ports::clock::{Clock, SystemClock};

/// A server that is ready to serve: store open and migrated, port bound.
pub struct Application {
    acceptor: TcpAcceptor,
    local_addr: SocketAddr,
    state: AppState,
    first_admin: Option<AdminCredentials>,
}

impl Application {
    /// Opens the store and binds the listen address.
    ///
    /// # Errors
    /// Fails with a one-line cause when the configuration is invalid, the database cannot be
    /// reached or migrated, or the address cannot be bound.
    pub async fn build(config: &ServerConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let store = store::open(&config.database).await?;
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
        let defaults = RepoDefaults { timeout: config.default_pipeline_timeout };
        let repos = Repos::new(
            store.clone(),
            forge.clone(),
            clock.clone(),
            forge_id,
            config.hook_host().to_owned(),
            defaults,
        );
        let hooks = Hooks::new(store.clone(), forge.clone(), clock, forge_id);
        let telemetry = Telemetry {
            log_level: LogLevel::new(&config.log.log_level),
            prometheus_auth_token: config.prometheus_auth_token.clone().filter(|t| !t.is_empty()),
        };
        let signing_key = Arc::new(SigningKey::load_or_create(store.as_ref()).await?);
        if telemetry.log_level.verbose() {
            profiling::start_heap_sampling().await;
        }
        let state = AppState {
            store,
            identity,
            repos,
            hooks,
            forge,
            host: config.host.clone(),
            telemetry,
            signing_key,
        };
        let addr = config.listen_addr()?;
        let acceptor = TcpListener::bind(addr)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("listener has no socket address")?;
        Ok(Self { acceptor, local_addr, state, first_admin })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The store the server uses (tests set up data through it).
    pub fn store(&self) -> Arc<dyn crate::ports::store::Store> {
        self.state.store.clone()
    }

    /// The execution ports the server uses (tests queue, publish and append through them).
    pub fn engine(&self) -> crate::app::engine::Engine {
        self.state.engine.clone()
    }

    /// The admin created on this first start, if this was one.
    pub fn first_admin(&self) -> Option<&AdminCredentials> {
        self.first_admin.as_ref()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr, "nuthatch server listening");
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(http::routes(self.state), shutdown, None)
            .await
            .context("http server failed")
    }
}

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
