//! Tasks: queued units of work, one per workflow, with what an agent must match to take them.

use std::collections::BTreeMap;

use crate::domain::status::Status;

/// A workflow waiting in (or taken from) the queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    /// The workflow id, as a string (upstream's wire type).
    pub id: String,
    /// The workflow's pid.
    pub pid: i32,
    /// The workflow's name.
    pub name: String,
    /// The payload handed to the agent: `{"id", "config", "timeout"}` JSON.
    pub data: Vec<u8>,
    /// Labels an agent must match.
    pub labels: BTreeMap<String, String>,
    /// Ids of tasks of the same pipeline that must finish first.
    pub dependencies: Vec<String>,
    /// Dependency outcomes it runs on (`success`, `failure`); empty means success only.
    pub run_on: Vec<String>,
    /// Final status of each finished dependency.
    pub dep_status: BTreeMap<String, Status>,
    /// Agent that took it (0 = none yet).
    pub agent_id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// The repo.
    pub repo_id: i64,
    /// How many tasks of its group may run at once (0 = no limit).
    pub concurrency_limit: i32,
    /// Concurrency group key.
    pub concurrency_group: String,
    /// The pipeline's creation time (orders tasks within a concurrency group).
    pub created: i64,
}

impl Task {
    /// Whether it should run given its dependencies' outcomes (upstream's `ShouldRun`).
    pub fn should_run(&self) -> bool {
        let on_success = self.run_on.is_empty() || self.run_on.iter().any(|r| r == "success");
        let on_failure = self.run_on.iter().any(|r| r == "failure");
        let any_success = self.dep_status.values().any(|s| *s == Status::Success);
        let all_success = self.dep_status.values().all(|s| *s == Status::Success);
        match (on_success, on_failure) {
            (true, true) => true,
            (true, false) => all_success,
            (false, true) => !any_success,
            (false, false) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(run_on: &[&str], deps: &[Status]) -> Task {
        Task {
            run_on: run_on.iter().map(|s| s.to_string()).collect(),
            dep_status: deps.iter().enumerate().map(|(i, s)| (i.to_string(), *s)).collect(),
            ..Task::default()
        }
    }

    #[test]
    fn by_default_a_task_runs_only_after_successful_dependencies() {
        assert!(task(&[], &[Status::Success]).should_run());
        assert!(!task(&[], &[Status::Success, Status::Failure]).should_run());
        assert!(!task(&[], &[Status::Skipped]).should_run());
    }

    #[test]
    fn a_failure_task_runs_unless_a_dependency_succeeded() {
        assert!(task(&["failure"], &[Status::Failure]).should_run());
        assert!(task(&["failure"], &[]).should_run());
        assert!(!task(&["failure"], &[Status::Success]).should_run());
    }

    #[test]
    fn success_and_failure_together_always_run() {
        assert!(task(&["success", "failure"], &[Status::Killed]).should_run());
    }

    #[test]
    fn unknown_run_on_values_never_run() {
        assert!(!task(&["sometimes"], &[]).should_run());
    }
}
