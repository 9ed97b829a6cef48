//! The lease reaper: a workflow whose agent stopped extending its lease (crashed, lost its
//! network) is finalised as `failure` with [`LOST`], within a few seconds of the expiry, instead
//! of staying `running` until someone cancels it (engine.md §3.5: upstream has no reaper).
//!
//! The queue hands each expired task to exactly one caller, so every server may run a reaper.

use std::future::Future;
use std::time::Duration;

use crate::app::agent_rpc::access::parse_workflow_id;
use crate::app::agent_rpc::done::WorkflowReport;
use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::domain::step_status::WorkflowEnd;
use crate::domain::task::Task;
use crate::ports::store::StoreError;

/// The error a lost workflow ends with.
pub const LOST: &str = "agent lost: lease expired";

/// How often the reaper looks for expired leases.
pub const REAP_EVERY: Duration = Duration::from_secs(2);

impl AgentRpc {
    /// Finalises the workflows whose lease expired; returns how many.
    ///
    /// # Errors
    /// When the queue cannot be asked; failures on single workflows are logged and skipped.
    pub async fn reap_expired(&self) -> Result<usize, RpcError> {
        let expired = self.engine.queue.take_expired().await?;
        let count = expired.len();
        for task in expired {
            if let Err(error) = self.reap(&task).await {
                tracing::error!(%error, task = task.id, "cannot finalise a workflow whose lease expired");
            }
        }
        Ok(count)
    }

    async fn reap(&self, task: &Task) -> Result<(), RpcError> {
        let id = parse_workflow_id(&task.id)?;
        let workflow = match self.engine.store.get_workflow(id).await {
            Err(StoreError::NotFound(_)) => return Ok(()),
            other => other?,
        };
        if workflow.state.is_terminal() {
            return Ok(());
        }
        tracing::warn!(
            workflow = id,
            agent = task.agent_id,
            "the agent's lease expired; failing the workflow"
        );
        let report = WorkflowReport { error: LOST.to_owned(), ..WorkflowReport::default() };
        self.finish(&workflow, &report, WorkflowEnd::Lost).await
    }

    /// Reaps every `every` until `shutdown` completes.
    pub async fn reap_until(&self, every: Duration, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticks.tick() => {
                    if let Err(error) = self.reap_expired().await {
                        tracing::warn!(%error, "cannot look for expired leases");
                    }
                }
            }
        }
    }
}
