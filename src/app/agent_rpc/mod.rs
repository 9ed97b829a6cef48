//! The use cases behind the agent protocol (engine.md §1), free of any transport: the gRPC
//! adapter decodes a call, names the calling agent (from its verified access token) and calls
//! one method of [`AgentRpc`].
//!
//! # Layout
//! - [`error`]: the three ways a call fails (unauthenticated, rejected, unavailable).
//! - [`tokens`]: access tokens and the secret they are signed with; [`auth`]: `Auth`.
//! - [`agents`]: `RegisterAgent`, `UnregisterAgent`, `ReportHealth`, and loading the caller.
//! - [`access`]: the workflow an agent names, and whether that agent may touch it (§1.5).
//! - [`next`]: `Next`, the long poll; [`lease`]: `Wait` and `Extend`.
//! - [`progress`]: `Init` and `Update`; [`done`]: `Done` and finalising a workflow.
//! - [`log`]: `Log`, with masking from [`masks`].
//! - [`reaper`]: finalising the workflows of agents whose lease expired.

pub mod access;
pub mod agents;
pub mod auth;
pub mod done;
pub mod error;
pub mod lease;
pub mod log;
pub mod masks;
pub mod next;
pub mod progress;
pub mod reaper;
pub mod tokens;

use std::sync::Arc;

pub use error::RpcError;
pub use tokens::AccessTokens;

use anyhow::Context;

use crate::app::config::GrpcConfig;
use crate::app::engine::Engine;

/// The agent protocol version Nuthatch speaks (upstream `rpc/proto/version.go`).
pub const PROTOCOL_VERSION: i32 = 16;

/// The agent protocol's use cases; cheap to clone.
#[derive(Clone)]
pub struct AgentRpc {
    engine: Engine,
    tokens: AccessTokens,
    /// `WOODPECKER_AGENT_SECRET`: the shared secret system agents authenticate with.
    agent_secret: Option<Arc<str>>,
    masks: masks::Masks,
}

impl AgentRpc {
    /// The use cases over these ports. `agent_secret` empty or `None` allows per-agent tokens only.
    pub fn new(engine: Engine, tokens: AccessTokens, agent_secret: Option<String>) -> Self {
        let agent_secret = agent_secret.filter(|s| !s.is_empty()).map(Arc::from);
        Self { masks: masks::Masks::new(engine.clone()), engine, tokens, agent_secret }
    }

    /// The use cases as configured: the agent secret and the token signing secret from the
    /// settings (the latter created in the store when not configured).
    ///
    /// # Errors
    /// When a secret file cannot be read or the store cannot be reached.
    pub async fn open(engine: Engine, config: &GrpcConfig) -> anyhow::Result<Self> {
        let configured = config.grpc_secret()?;
        let tokens = AccessTokens::load(engine.store.as_ref(), configured.as_deref(), engine.clock.clone())
            .await
            .context("cannot load the agent token secret")?;
        Ok(Self::new(engine, tokens, config.agent_secret()?))
    }

    /// The access tokens this server issues and accepts.
    pub fn tokens(&self) -> &AccessTokens {
        &self.tokens
    }

    /// The server version reported by `Version`.
    pub fn server_version(&self) -> String {
        crate::app::version::version()
    }
}
