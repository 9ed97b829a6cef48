//! The agent's own record: registering what it is, staying alive, leaving (engine.md §1.3).

use crate::app::agent_rpc::{AgentRpc, RpcError};
pub use crate::domain::agent::AgentInfo;
use crate::domain::agent::{Agent, SYSTEM};
use crate::ports::store::StoreError;

/// The status text an alive agent reports.
pub const ALIVE: &str = "I am alive!";

/// How often `last_work` is written at most, in seconds (it changes on every call otherwise).
const LAST_WORK_RESOLUTION: i64 = 60;

impl AgentRpc {
    /// The calling agent's row; a deleted agent can do nothing any more.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] when the agent no longer exists.
    pub async fn caller(&self, agent_id: i64) -> Result<Agent, RpcError> {
        match self.engine.store.get_agent(agent_id).await {
            Err(StoreError::NotFound(_)) => Err(RpcError::rejected(format!("agent {agent_id} not found"))),
            other => Ok(other?),
        }
    }

    /// Records what the agent is; its name becomes `hostname` if it has none yet.
    ///
    /// # Errors
    /// Store failures; [`RpcError::Rejected`] for a deleted agent.
    pub async fn register(
        &self,
        agent_id: i64,
        hostname: Option<&str>,
        info: AgentInfo,
    ) -> Result<i64, RpcError> {
        let mut agent = self.caller(agent_id).await?;
        if agent.name.is_empty() {
            agent.name = hostname.unwrap_or_default().to_owned();
        }
        agent.platform = info.platform;
        agent.capacity = info.capacity;
        agent.backend = info.backend;
        agent.version = info.version;
        agent.custom_labels = info.custom_labels;
        agent.updated = self.engine.clock.now();
        self.engine.store.update_agent(&agent).await?;
        Ok(agent.id)
    }

    /// Removes a system agent that shuts down; agents with their own token stay registered.
    ///
    /// # Errors
    /// Store failures.
    pub async fn unregister(&self, agent_id: i64) -> Result<(), RpcError> {
        let agent = self.caller(agent_id).await?;
        if agent.owner_id == SYSTEM && agent.org_id == SYSTEM {
            self.engine.store.delete_agent(agent.id).await?;
        }
        Ok(())
    }

    /// Notes that the agent is alive.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] ("Are you alive?") unless the status is [`ALIVE`].
    pub async fn report_health(&self, agent_id: i64, status: &str) -> Result<(), RpcError> {
        if status != ALIVE {
            return Err(RpcError::rejected("Are you alive?"));
        }
        let mut agent = self.caller(agent_id).await?;
        agent.last_contact = self.engine.clock.now();
        self.engine.store.update_agent(&agent).await?;
        Ok(())
    }

    /// Notes that the agent works, at most once a minute. Failing to note it fails nothing.
    pub(crate) async fn touch_work(&self, agent: &Agent) {
        let now = self.engine.clock.now();
        if now - agent.last_work < LAST_WORK_RESOLUTION {
            return;
        }
        let touched = Agent { last_work: now, ..agent.clone() };
        if let Err(error) = self.engine.store.update_agent(&touched).await {
            tracing::warn!(%error, agent = agent.id, "cannot note the agent's last work");
        }
    }
}
