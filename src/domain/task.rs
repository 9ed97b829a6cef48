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

/// The key prefix of the labels the server adds to every task for its own use; agents never
/// match on them.
pub const INTERNAL_LABEL_PREFIX: &str = "woodpecker-ci.org/";

/// How well an agent's filter labels fit a task's labels: `Some(score)` when the agent may take
/// the task, `None` when it may not (upstream's scheduler filter, engine.md §1.4).
///
/// An agent label `!key` is required: the task must carry `key` with exactly that value. Every
/// task label (except internal ones and those with an empty value) must be offered by the agent
/// as `key` or `!key`: a `*` value scores 1, an equal value 10, anything else refuses the task.
/// A score of 0 (nothing matched) refuses it too, so org agents (`org-id` equal) beat global
/// ones (`org-id=*`).
pub fn match_labels(agent: &BTreeMap<String, String>, task: &BTreeMap<String, String>) -> Option<u32> {
    let visible = |key: &str| !key.starts_with(INTERNAL_LABEL_PREFIX);
    let required_missing = agent
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix('!')?, v)))
        .any(|(key, value)| !visible(key) || task.get(key) != Some(value));
    if required_missing {
        return None;
    }
    let mut score = 0;
    for (key, value) in task.iter().filter(|(k, v)| visible(k) && !v.is_empty()) {
        let offered = agent.get(key).or_else(|| agent.get(&format!("!{key}")))?;
        score += match offered.as_str() {
            "*" => 1,
            o if o == value => 10,
            _ => return None,
        };
    }
    (score > 0).then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn labels_match_as_upstream_scores_them() {
        type Labels<'a> = &'a [(&'a str, &'a str)];
        // (case, agent filter, task labels, expected score)
        let cases: &[(&str, Labels, Labels, Option<u32>)] = &[
            ("equal value", &[("platform", "linux/amd64")], &[("platform", "linux/amd64")], Some(10)),
            ("wildcard", &[("repo", "*")], &[("repo", "a/b")], Some(1)),
            ("org agent", &[("org-id", "3"), ("repo", "*")], &[("org-id", "3"), ("repo", "a/b")], Some(11)),
            ("global agent", &[("org-id", "*"), ("repo", "*")], &[("org-id", "3"), ("repo", "a/b")], Some(2)),
            ("other value", &[("platform", "linux/arm64")], &[("platform", "linux/amd64")], None),
            ("missing key", &[("repo", "*")], &[("repo", "a/b"), ("gpu", "yes")], None),
            ("extra agent labels", &[("repo", "*"), ("hostname", "h")], &[("repo", "a/b")], Some(1)),
            ("nothing to match", &[("repo", "*")], &[], None),
            ("empty task value", &[("repo", "*")], &[("repo", "a/b"), ("gpu", "")], Some(1)),
            (
                "internal labels",
                &[("repo", "*")],
                &[("repo", "a/b"), ("woodpecker-ci.org/branch", "main")],
                Some(1),
            ),
            (
                "required present",
                &[("!gpu", "yes"), ("repo", "*")],
                &[("gpu", "yes"), ("repo", "a/b")],
                Some(11),
            ),
            ("required absent", &[("!gpu", "yes"), ("repo", "*")], &[("repo", "a/b")], None),
            (
                "required other value",
                &[("!gpu", "yes"), ("repo", "*")],
                &[("gpu", "no"), ("repo", "a/b")],
                None,
            ),
            (
                "required wildcard is literal",
                &[("!gpu", "*"), ("repo", "*")],
                &[("gpu", "yes"), ("repo", "a/b")],
                None,
            ),
            (
                "required internal",
                &[("!woodpecker-ci.org/event", "push")],
                &[("woodpecker-ci.org/event", "push")],
                None,
            ),
            ("only `*` is a wildcard", &[("platform", "linux/*")], &[("platform", "linux/amd64")], None),
        ];
        for (name, agent, task, expected) in cases {
            assert_eq!(match_labels(&labels(agent), &labels(task)), *expected, "{name}");
        }
    }

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
