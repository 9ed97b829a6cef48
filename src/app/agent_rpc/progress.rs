//! `Init` and `Update`: a workflow starts, its steps start and end (engine.md §1.3, §5.4).

use crate::app::agent_rpc::access::WorkflowContext;
use crate::app::agent_rpc::done::{ALREADY_FINISHED, IMPOSSIBLE, WorkflowReport, check_open};
use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::app::pipelines::{LifecycleError, cancel_pipeline, settle};
use crate::domain::pipeline::CancelInfo;
use crate::domain::status::Status;
use crate::domain::step_status::{StepReport, apply_report};
use crate::domain::workflow::{FailureMode, Step};
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
        if cancels_pipeline(&step, &next) {
            self.cancel_for_step(&ctx, &next.name).await?;
        }
        settle(&self.engine, ctx.pipeline.id).await?;
        self.touch_work(&ctx.agent).await;
        Ok(())
    }

    /// A `failure: cancel` step failed: the rest of its pipeline is canceled (engine.md §5.4),
    /// recording the step in `cancel_info`. A pipeline that is over already stays as it is.
    async fn cancel_for_step(&self, ctx: &WorkflowContext, step_name: &str) -> Result<(), RpcError> {
        let pipeline = self.engine.store.get_pipeline(ctx.pipeline.id).await?;
        let info = CancelInfo { canceled_by_step: step_name.to_owned(), ..CancelInfo::default() };
        match cancel_pipeline(&self.engine, &ctx.repo, pipeline, info).await {
            Ok(_) | Err(LifecycleError::BadRequest(_)) => Ok(()),
            Err(LifecycleError::Store(e)) => Err(e.into()),
            Err(LifecycleError::Queue(e)) => Err(e.into()),
            Err(other) => Err(RpcError::rejected(other.to_string())),
        }
    }
}

/// Whether this report is the one that made a `failure: cancel` step fail.
fn cancels_pipeline(before: &Step, after: &Step) -> bool {
    after.failure == FailureMode::Cancel && after.state == Status::Failure && before.state != Status::Failure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(state: Status, failure: FailureMode) -> Step {
        Step { state, failure, ..Step::default() }
    }

    #[test]
    fn only_the_failure_of_a_cancel_step_cancels_the_pipeline() {
        let running = step(Status::Running, FailureMode::Cancel);
        assert!(cancels_pipeline(&running, &step(Status::Failure, FailureMode::Cancel)));
        assert!(!cancels_pipeline(&running, &step(Status::Success, FailureMode::Cancel)));
        let plain = step(Status::Running, FailureMode::Fail);
        assert!(!cancels_pipeline(&plain, &step(Status::Failure, FailureMode::Fail)));
        let failed = step(Status::Failure, FailureMode::Cancel);
        assert!(!cancels_pipeline(&failed, &failed), "a repeated report cancels once");
    }
}
