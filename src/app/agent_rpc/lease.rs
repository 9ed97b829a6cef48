//! `Wait` and `Extend`: an agent follows its workflow's fate in the queue and keeps its lease
//! (engine.md §1.3, §3.5).

use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::ports::queue::WaitOutcome;

/// The rejection a `Wait` on an expired lease ends with (upstream's queue error text).
pub const EXPIRED: &str = "queue: task expired";

impl AgentRpc {
    /// Waits until the workflow leaves the queue: `true` when it was canceled, `false` when it
    /// finished or is not running (any more). Agents call it before `Init`.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] when the lease expired or the workflow is not the agent's.
    pub async fn wait(&self, agent_id: i64, workflow_id: &str) -> Result<bool, RpcError> {
        let ctx = self.workflow_for(agent_id, workflow_id).await?;
        match self.engine.queue.wait(&ctx.workflow.id.to_string()).await? {
            WaitOutcome::Canceled => Ok(true),
            WaitOutcome::Finished => Ok(false),
            WaitOutcome::Expired => Err(RpcError::rejected(EXPIRED)),
        }
    }

    /// Renews the workflow's lease.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] when it is not running or held by another agent.
    pub async fn extend(&self, agent_id: i64, workflow_id: &str) -> Result<(), RpcError> {
        let ctx = self.workflow_for(agent_id, workflow_id).await?;
        self.touch_work(&ctx.agent).await;
        self.engine.queue.extend(&ctx.workflow.id.to_string(), ctx.agent.id).await?;
        Ok(())
    }
}
