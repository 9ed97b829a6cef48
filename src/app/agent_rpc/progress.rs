//! `Init` and `Update`: a workflow starts, its steps start and end (engine.md §1.3, §5.4).

use crate::app::agent_rpc::done::{ALREADY_FINISHED, IMPOSSIBLE, WorkflowReport, check_open};
use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::app::pipelines::settle;
use crate::domain::status::Status;
use crate::domain::step_status::{StepReport, apply_report};
use crate::ports::store::StoreError;

impl AgentRpc {
    /// The agent starts a workflow: it becomes `running`, and so does its pipeline.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] for workflows that are not the agent's, finished or blocked, and
    /// for a report without a start time or with a cancel.
    pub async fn init(
        &self,
        agent_id: i64,
        workflow_id: &str,
        report: WorkflowReport,
    ) -> Result<(), RpcError> {
        let ctx = self.workflow_for(agent_id, workflow_id).await?;
        check_open(&ctx.workflow)?;
        if report.started == 0 || report.canceled {
            return Err(RpcError::rejected(format!("{IMPOSSIBLE}: a start needs a time and no cancel")));
        }
        let mut workflow = ctx.workflow;
        workflow.state = Status::Running;
        workflow.started = report.started;
        workflow.platform.clone_from(&ctx.agent.platform);
        self.engine.store.update_workflow(&workflow).await?;
        settle(&self.engine, ctx.pipeline.id).await?;
        self.touch_work(&ctx.agent).await;
        Ok(())
    }

    /// The agent reports on a step of a workflow: it starts, ends, is skipped or killed. Once
    /// the workflow is finished, only reports that finish a step are taken.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] for unknown steps, steps of another pipeline, steps already
    /// finished, and workflows that are not the agent's.
    pub async fn update(
        &self,
        agent_id: i64,
        workflow_id: &str,
        step_uuid: &str,
        report: StepReport,
    ) -> Result<(), RpcError> {
        let ctx = self.workflow_for(agent_id, workflow_id).await?;
        let step = match self.engine.store.find_step_by_uuid(step_uuid).await {
            Err(StoreError::NotFound(_)) => {
                return Err(RpcError::rejected(format!("step {step_uuid} not found")));
            }
            other => other?,
        };
        if step.pipeline_id != ctx.workflow.pipeline_id {
            return Err(RpcError::rejected("step does not belong to the workflow's pipeline"));
        }
        let mut next = step.clone();
        apply_report(&mut next, &report, self.engine.clock.now())
            .map_err(|e| RpcError::rejected(e.to_string()))?;
        if ctx.workflow.state.is_terminal() && !next.state.is_terminal() {
            return Err(RpcError::rejected(ALREADY_FINISHED));
        }
        if next != step {
            self.engine.store.update_step(&next).await?;
        }
        settle(&self.engine, ctx.pipeline.id).await?;
        self.touch_work(&ctx.agent).await;
        Ok(())
    }
}
