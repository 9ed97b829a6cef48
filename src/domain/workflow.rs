//! Workflows and steps: the tree under a pipeline. A workflow is one config file (times one matrix
//! row) run by one agent; its steps are the containers or commands it runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::status::Status;

/// One workflow of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Position within the pipeline, from 1; steps point at it with `ppid`.
    pub pid: i32,
    /// Name (file name, or `name` of the config).
    pub name: String,
    /// Where it stands.
    pub state: Status,
    /// Why it errored.
    pub error: String,
    /// Unix time it started (0 = not yet).
    pub started: i64,
    /// Unix time it finished (0 = not yet).
    pub finished: i64,
    /// The agent that runs or ran it.
    pub agent_id: i64,
    /// Platform it ran on (`linux/amd64`).
    pub platform: String,
    /// Matrix axis values.
    pub environ: BTreeMap<String, String>,
    /// Index of its matrix row (0 = no matrix).
    pub axis_id: i32,
}

impl Default for Workflow {
    fn default() -> Self {
        Self {
            id: 0,
            pipeline_id: 0,
            pid: 0,
            name: String::new(),
            state: Status::Pending,
            error: String::new(),
            started: 0,
            finished: 0,
            agent_id: 0,
            platform: String::new(),
            environ: BTreeMap::new(),
            axis_id: 0,
        }
    }
}

/// What kind of thing a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepType {
    /// The injected clone step.
    Clone,
    /// A background service.
    Service,
    /// A plugin (image with settings).
    Plugin,
    /// Shell commands.
    #[default]
    Commands,
    /// A cache step.
    Cache,
}

/// What a step's failure does to its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// The workflow fails.
    #[default]
    Fail,
    /// Ignored; the workflow goes on as if it succeeded.
    Ignore,
    /// The whole pipeline is canceled.
    Cancel,
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Stable unique id the agent reports by.
    pub uuid: String,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Position within the pipeline, unique there.
    pub pid: i32,
    /// `pid` of its workflow.
    pub ppid: i32,
    /// Name.
    pub name: String,
    /// Where it stands.
    pub state: Status,
    /// Why it errored.
    pub error: String,
    /// What its failure does.
    pub failure: FailureMode,
    /// Exit code of its process.
    pub exit_code: i32,
    /// Unix time it started (0 = not yet).
    pub started: i64,
    /// Unix time it finished (0 = not yet).
    pub finished: i64,
    /// What kind of step it is.
    pub step_type: StepType,
}

impl Default for Step {
    fn default() -> Self {
        Self {
            id: 0,
            uuid: String::new(),
            pipeline_id: 0,
            pid: 0,
            ppid: 0,
            name: String::new(),
            state: Status::Pending,
            error: String::new(),
            failure: FailureMode::Fail,
            exit_code: 0,
            started: 0,
            finished: 0,
            step_type: StepType::Commands,
        }
    }
}

impl Step {
    /// Whether this step's outcome counts toward its workflow's status: failures of steps with
    /// `failure: ignore` or `failure: cancel` do not.
    pub fn counts_for_workflow(&self) -> bool {
        let failed = matches!(self.state, Status::Failure | Status::Killed | Status::Error);
        !failed || self.failure == FailureMode::Fail
    }
}

/// The status a workflow ends with, from its steps: never started means skipped, otherwise the
/// merge of the steps that count, turned into `failure` by an error message.
pub fn finished_workflow_status(workflow: &Workflow, steps: &[Step]) -> Status {
    if workflow.started == 0 {
        return Status::Skipped;
    }
    if !workflow.error.is_empty() {
        return Status::Failure;
    }
    crate::domain::status::merge_all(steps.iter().filter(|s| s.counts_for_workflow()).map(|s| s.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(state: Status, failure: FailureMode) -> Step {
        Step { state, failure, ..Step::default() }
    }

    fn started() -> Workflow {
        Workflow { started: 100, ..Workflow::default() }
    }

    #[test]
    fn a_workflow_that_never_started_is_skipped() {
        assert_eq!(finished_workflow_status(&Workflow::default(), &[]), Status::Skipped);
    }

    #[test]
    fn an_ignored_failure_does_not_fail_the_workflow() {
        let steps = [step(Status::Success, FailureMode::Fail), step(Status::Failure, FailureMode::Ignore)];
        assert_eq!(finished_workflow_status(&started(), &steps), Status::Success);
    }

    #[test]
    fn a_failing_step_fails_the_workflow() {
        let steps = [step(Status::Success, FailureMode::Fail), step(Status::Failure, FailureMode::Fail)];
        assert_eq!(finished_workflow_status(&started(), &steps), Status::Failure);
    }

    #[test]
    fn a_workflow_error_means_failure() {
        let wf = Workflow { error: "agent lost".into(), ..started() };
        assert_eq!(
            finished_workflow_status(&wf, &[step(Status::Success, FailureMode::Fail)]),
            Status::Failure
        );
    }
}
