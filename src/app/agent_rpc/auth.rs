//! `Auth`: an agent proves who it is with a long-lived token and gets a short-lived access
//! token (engine.md §1.2).

use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::app::identity::random_secret;
use crate::domain::agent::{Agent, SYSTEM};
use crate::ports::store::StoreError;

/// Who an agent turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Its agent id (to be kept by the agent for later `Auth` calls).
    pub agent_id: i64,
    /// The access token for every other call.
    pub access_token: String,
}

/// `agent_id` an agent sends when it has none yet.
pub const NEW_AGENT: i64 = -1;

impl AgentRpc {
    /// Authenticates an agent: with the system secret, `agent_id` -1 creates a new system agent
    /// and any other id names an existing one; any other token is looked up as a per-agent
    /// token (the id sent is then ignored, as upstream).
    ///
    /// # Errors
    /// [`RpcError::Rejected`] ("agent could not auth: ...") for unknown tokens and ids.
    pub async fn auth(&self, agent_token: &str, agent_id: i64) -> Result<Authenticated, RpcError> {
        let agent = match &self.agent_secret {
            Some(secret) if agent_token == secret.as_ref() => self.system_agent(agent_id).await,
            _ => self.token_agent(agent_token).await,
        }
        .map_err(|e| match e {
            RpcError::Rejected(text) => RpcError::Rejected(format!("agent could not auth: {text}")),
            other => other,
        })?;
        Ok(Authenticated { agent_id: agent.id, access_token: self.tokens.issue(agent.id) })
    }

    async fn system_agent(&self, agent_id: i64) -> Result<Agent, RpcError> {
        if agent_id == NEW_AGENT {
            let now = self.engine.clock.now();
            // System agents share the secret, but tokens are unique per row: each row gets a
            // random token of its own, which also keeps the secret out of the agent listing.
            let agent = Agent {
                created: now,
                updated: now,
                owner_id: SYSTEM,
                org_id: SYSTEM,
                token: random_secret(),
                ..Agent::default()
            };
            return Ok(self.engine.store.create_agent(&agent).await?);
        }
        let agent = match self.engine.store.get_agent(agent_id).await {
            Err(StoreError::NotFound(_)) => return Err(RpcError::rejected("AgentID not found in database")),
            other => other?,
        };
        if agent.owner_id != SYSTEM || agent.org_id != SYSTEM {
            return Err(RpcError::rejected("agent is not a system agent"));
        }
        Ok(agent)
    }

    async fn token_agent(&self, agent_token: &str) -> Result<Agent, RpcError> {
        if agent_token.is_empty() {
            return Err(RpcError::rejected("no agent token given"));
        }
        match self.engine.store.find_agent_by_token(agent_token).await {
            Err(StoreError::NotFound(_)) => Err(RpcError::rejected("agent token not found")),
            other => Ok(other?),
        }
    }
}
