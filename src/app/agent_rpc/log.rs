//! `Log`: batches of log lines from an agent, possibly of several steps and workflows
//! (engine.md §4.3). Lines are masked, stored (once per step and line, since agents resend
//! batches) and streamed to live viewers.
//!
//! The agent sends a step's last lines up to a second after its `Done` (engine.md §10.2), so
//! lines of a finished step are still taken for [`DRAIN_WINDOW`] after it ended.

use std::collections::HashMap;

use crate::app::agent_rpc::access::check_access;
use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::domain::agent::Agent;
use crate::domain::log::{LogEntry, LogEntryType};
use crate::domain::repo::Repo;
use crate::domain::workflow::{Step, Workflow};
use crate::ports::store::StoreError;

/// How long after a step or its workflow ended its lines are still taken, in seconds.
pub const DRAIN_WINDOW: i64 = 300;

/// Upstream's rejection of lines for a step that ended long ago.
pub const NOT_RUNNING: &str = "agent can not append logs to a step that is marked not running";

/// One line as an agent sends it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogLine {
    /// The step it belongs to.
    pub step_uuid: String,
    /// Seconds since the step's log stream opened.
    pub time: i64,
    /// Line number within the step, from 0.
    pub line: i32,
    /// Wire type (0 stdout, 1 stderr, ...).
    pub entry_type: i32,
    /// The line, without its newline.
    pub data: Vec<u8>,
}

/// Whether lines of `step` are taken at `now`: while it or its workflow runs, and for
/// [`DRAIN_WINDOW`] after both ended.
pub fn accepts_lines(step: &Step, workflow: &Workflow, now: i64) -> bool {
    if !step.state.is_terminal() || !workflow.state.is_terminal() {
        return true;
    }
    now - step.finished.max(workflow.finished) <= DRAIN_WINDOW
}

/// What a run of lines is written to.
struct Target {
    step: Step,
    workflow: Workflow,
    repo: Repo,
}

impl AgentRpc {
    /// Stores and streams a batch of lines, split into runs of consecutive lines of one step.
    /// Every run is tried; the call fails with the most retryable error of a failed run.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] for unknown steps, other agents' steps and steps that ended long
    /// ago; [`RpcError::Unavailable`] when the log storage cannot take the lines now.
    pub async fn log(&self, agent_id: i64, lines: Vec<LogLine>) -> Result<(), RpcError> {
        let agent = self.caller(agent_id).await?;
        let mut repos: HashMap<i64, Repo> = HashMap::new();
        let mut failure: Option<RpcError> = None;
        for run in lines.chunk_by(|a, b| a.step_uuid == b.step_uuid) {
            let outcome = match self.target(&agent, &run[0].step_uuid, &mut repos).await {
                Ok(target) => self.write_run(&target, run).await,
                Err(error) => Err(error),
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, agent = agent.id, step = run[0].step_uuid, "log lines refused");
                if !matches!(failure, Some(RpcError::Unavailable(_))) {
                    failure = Some(error);
                }
            }
        }
        self.touch_work(&agent).await;
        failure.map_or(Ok(()), Err)
    }

    /// The step a run belongs to, checked: the agent's, and still taking lines.
    async fn target(
        &self,
        agent: &Agent,
        step_uuid: &str,
        repos: &mut HashMap<i64, Repo>,
    ) -> Result<Target, RpcError> {
        let store = &self.engine.store;
        let step = match store.find_step_by_uuid(step_uuid).await {
            Err(StoreError::NotFound(_)) => {
                return Err(RpcError::rejected(format!("step {step_uuid} not found")));
            }
            other => other?,
        };
        let workflow = store
            .list_workflows(step.pipeline_id)
            .await?
            .into_iter()
            .map(|t| t.workflow)
            .find(|w| w.pid == step.ppid)
            .ok_or_else(|| RpcError::rejected(format!("the workflow of step {step_uuid} not found")))?;
        let repo = match repos.get(&step.pipeline_id) {
            Some(repo) => repo.clone(),
            None => {
                let pipeline = store.get_pipeline(step.pipeline_id).await?;
                let repo = store.get_repo(pipeline.repo_id).await?;
                repos.insert(step.pipeline_id, repo.clone());
                repo
            }
        };
        check_access(agent, &workflow, &repo)?;
        if !accepts_lines(&step, &workflow, self.engine.clock.now()) {
            return Err(RpcError::rejected(NOT_RUNNING));
        }
        Ok(Target { step, workflow, repo })
    }

    /// Masks, stores, then streams one run. Stored first: a failed store fails the call and
    /// the agent resends, which storage takes idempotently.
    async fn write_run(&self, target: &Target, run: &[LogLine]) -> Result<(), RpcError> {
        let masker = self.masks.for_workflow(target.workflow.id, &target.repo).await?;
        let now = self.engine.clock.now();
        let entries: Vec<LogEntry> = run
            .iter()
            .map(|l| LogEntry {
                id: 0,
                step_id: target.step.id,
                time: l.time,
                line: l.line,
                data: masker.mask(&l.data).unwrap_or_else(|| l.data.clone()),
                entry_type: LogEntryType::from_i32(l.entry_type),
                created: now,
            })
            .collect();
        self.engine.logs.append(&entries).await?;
        if let Err(error) = self.engine.livelog.append(target.step.id, &entries).await {
            tracing::warn!(%error, step = target.step.id, "cannot stream log lines");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Status;

    #[test]
    fn lines_are_taken_while_running_and_for_the_drain_window() {
        let running = Step { state: Status::Running, ..Step::default() };
        let done = Step { state: Status::Success, finished: 100, ..Step::default() };
        let wf_running = Workflow { state: Status::Running, ..Workflow::default() };
        let wf_done = Workflow { state: Status::Success, finished: 101, ..Workflow::default() };
        assert!(accepts_lines(&running, &wf_done, 10_000));
        assert!(accepts_lines(&done, &wf_running, 10_000));
        assert!(accepts_lines(&done, &wf_done, 101 + DRAIN_WINDOW));
        assert!(!accepts_lines(&done, &wf_done, 102 + DRAIN_WINDOW));
    }
}
