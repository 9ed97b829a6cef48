//! `Done`, and finalising a workflow however it ended: reported by its agent, skipped by the
//! server because of its dependencies, or lost with its agent (engine.md §1.3, §3.3, §5.4).

use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::app::pipelines::settle;
use crate::domain::status::Status;
use crate::domain::step_status::{WorkflowEnd, close_open_step};
use crate::domain::workflow::{Step, Workflow, finished_workflow_status};

/// Upstream's rejection of reports about a finished workflow.
pub const ALREADY_FINISHED: &str = "workflow was already marked as finished";

/// Upstream's rejection of reports about a workflow waiting for approval.
pub const BLOCKED: &str = "workflow is currently in blocked state";

/// Upstream's rejection of a report that cannot be true.
pub const IMPOSSIBLE: &str = "agent reported an impossible workflow state";

/// What an agent reports about a whole workflow (the gRPC `WorkflowState`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkflowReport {
    /// Unix time it started (0 = never).
    pub started: i64,
    /// Unix time it finished (0 = not reported).
    pub finished: i64,
    /// A runtime error (not step failures).
    pub error: String,
    /// It was canceled.
    pub canceled: bool,
}

/// Whether a workflow still takes reports.
///
/// # Errors
/// [`RpcError::Rejected`] for finished and blocked workflows.
pub fn check_open(workflow: &Workflow) -> Result<(), RpcError> {
    match workflow.state {
        Status::Blocked => Err(RpcError::rejected(BLOCKED)),
        s if s.is_terminal() => Err(RpcError::rejected(ALREADY_FINISHED)),
        _ => Ok(()),
    }
}

/// The workflow and its steps as they end: open steps closed, times and error taken from the
/// report, the status from the steps (engine.md §5.4).
pub fn finished(
    workflow: &Workflow,
    steps: &[Step],
    report: &WorkflowReport,
    end: WorkflowEnd,
    now: i64,
) -> (Workflow, Vec<Step>) {
    let steps: Vec<Step> = steps
        .iter()
        .map(|s| {
            let mut s = s.clone();
            close_open_step(&mut s, end, now);
            s
        })
        .collect();
    let mut wf = workflow.clone();
    wf.started = if end == WorkflowEnd::NotRun { 0 } else { report.started.max(workflow.started) };
    wf.finished = if report.finished != 0 { report.finished } else { now };
    if !report.error.is_empty() {
        wf.error.clone_from(&report.error);
    }
    wf.state = match end {
        WorkflowEnd::Canceled if wf.started != 0 => Status::Killed,
        // Also when the agent vanished before `Init`: the workflow was handed out and did not run.
        WorkflowEnd::Lost => Status::Failure,
        _ => finished_workflow_status(&wf, &steps),
    };
    (wf, steps)
}

impl AgentRpc {
    /// The agent finished a workflow.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] for workflows that are not the agent's, already finished or
    /// blocked, and for a canceled report of a workflow that never started.
    pub async fn done(
        &self,
        agent_id: i64,
        workflow_id: &str,
        report: WorkflowReport,
    ) -> Result<(), RpcError> {
        let ctx = self.workflow_for(agent_id, workflow_id).await?;
        check_open(&ctx.workflow)?;
        if report.canceled && report.started == 0 && ctx.workflow.started == 0 {
            return Err(RpcError::rejected(format!("{IMPOSSIBLE}: canceled before it started")));
        }
        let end = if report.canceled { WorkflowEnd::Canceled } else { WorkflowEnd::Finished };
        self.finish(&ctx.workflow, &report, end).await?;
        self.touch_work(&ctx.agent).await;
        Ok(())
    }

    /// Ends a workflow: closes its open steps, settles its status, tells the queue (so that
    /// dependents learn the outcome), closes its live logs and settles the pipeline.
    ///
    /// The queue is told first: if a later write fails the agent retries `Done`, and telling
    /// the queue twice is harmless, while a workflow saved as finished would refuse the retry.
    pub(crate) async fn finish(
        &self,
        workflow: &Workflow,
        report: &WorkflowReport,
        end: WorkflowEnd,
    ) -> Result<(), RpcError> {
        let store = &self.engine.store;
        let now = self.engine.clock.now();
        let trees = store.list_workflows(workflow.pipeline_id).await?;
        let steps =
            trees.into_iter().find(|t| t.workflow.id == workflow.id).map(|t| t.steps).unwrap_or_default();
        let (workflow, closed) = finished(workflow, &steps, report, end, now);
        self.engine.queue.done(&workflow.id.to_string(), workflow.state).await?;
        for (before, after) in steps.iter().zip(&closed) {
            if before != after {
                store.update_step(after).await?;
            }
        }
        store.update_workflow(&workflow).await?;
        for step in closed.iter().filter(|s| s.state != Status::Skipped) {
            if let Err(error) = self.engine.livelog.close(step.id).await {
                tracing::warn!(%error, step = step.id, "cannot close a step's live log");
            }
        }
        settle(&self.engine, workflow.pipeline_id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 500;

    fn step(state: Status) -> Step {
        Step { state, started: 10, ..Step::default() }
    }

    fn running() -> Workflow {
        Workflow { state: Status::Running, started: 10, ..Workflow::default() }
    }

    #[test]
    fn a_reported_success_ends_the_workflow_in_success() {
        let report = WorkflowReport { started: 10, finished: 90, ..WorkflowReport::default() };
        let (wf, steps) = finished(&running(), &[step(Status::Success)], &report, WorkflowEnd::Finished, NOW);
        assert_eq!((wf.state, wf.finished), (Status::Success, 90));
        assert_eq!(steps[0].state, Status::Success);
    }

    #[test]
    fn a_cancel_kills_the_workflow_and_its_running_steps() {
        let report = WorkflowReport {
            started: 10,
            canceled: true,
            error: "Canceled".into(),
            ..WorkflowReport::default()
        };
        let (wf, steps) = finished(&running(), &[step(Status::Running)], &report, WorkflowEnd::Canceled, NOW);
        assert_eq!((wf.state, wf.finished), (Status::Killed, NOW));
        assert_eq!(steps[0].state, Status::Killed);
    }

    #[test]
    fn a_lost_workflow_fails_with_its_error() {
        let report =
            WorkflowReport { error: "agent lost: lease expired".into(), ..WorkflowReport::default() };
        let (wf, steps) = finished(&running(), &[step(Status::Running)], &report, WorkflowEnd::Lost, NOW);
        assert_eq!((wf.state, wf.error.as_str()), (Status::Failure, "agent lost: lease expired"));
        assert_eq!(steps[0].state, Status::Killed);
    }

    #[test]
    fn a_workflow_that_did_not_run_is_skipped_with_its_steps() {
        let pending = Workflow::default();
        let (wf, steps) =
            finished(&pending, &[Step::default()], &WorkflowReport::default(), WorkflowEnd::NotRun, NOW);
        assert_eq!((wf.state, steps[0].state), (Status::Skipped, Status::Skipped));
    }

    #[test]
    fn finished_and_blocked_workflows_take_no_reports() {
        assert!(check_open(&running()).is_ok());
        for state in [Status::Success, Status::Blocked] {
            assert!(check_open(&Workflow { state, ..Workflow::default() }).is_err());
        }
    }
}
