//! The queue tasks of a pipeline: one per runnable workflow, with the labels agents match
//! (engine.md §1.4), the ids of the workflows it depends on, and the payload agents run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::pipelines::LifecycleError;
use crate::app::pipelines::compile::Compiled;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::task::Task;
use crate::domain::yaml::payload::Payload;
use crate::ports::store::WorkflowTree;

/// Task label naming the repo (agents filter on `repo=<owner/name>` or `repo=*`).
const REPO_LABEL: &str = "repo";
/// Task label naming the repo's org (org agents match it exactly, global ones with `*`).
const ORG_LABEL: &str = "org-id";

/// `Task.data`: what `Next` unpacks for the agent (`{"id","config","timeout"}`, upstream's
/// `rpc.Workflow`; the agent RPCs decode exactly this).
#[derive(Serialize)]
struct TaskData<'a> {
    /// The workflow id.
    id: String,
    /// The compiled workflow.
    config: &'a Payload,
    /// The repo's timeout in minutes.
    timeout: i64,
}

/// The tasks of the runnable workflows of `compiled`, whose stored rows are `trees`.
///
/// # Errors
/// A payload that does not serialize (a bug), as [`LifecycleError::Refused`].
pub(super) fn build_tasks(
    repo: &Repo,
    pipeline: &Pipeline,
    compiled: &Compiled,
    trees: &[WorkflowTree],
) -> Result<Vec<Task>, LifecycleError> {
    let id_of_pid: BTreeMap<i32, i64> = trees.iter().map(|t| (t.workflow.pid, t.workflow.id)).collect();
    // Matrix workflows share a name: depending on it means depending on every one of them.
    let mut ids_of_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (outcome, _) in compiled.runnable() {
        if let Some(id) = id_of_pid.get(&(outcome.pid as i32)) {
            ids_of_name.entry(outcome.name.as_str()).or_default().push(id.to_string());
        }
    }
    let mut tasks = Vec::new();
    for (outcome, payload) in compiled.runnable() {
        let Some(&id) = id_of_pid.get(&(outcome.pid as i32)) else { continue };
        let mut labels = outcome.labels.clone();
        labels.insert(REPO_LABEL.into(), repo.full_name.clone());
        labels.insert(ORG_LABEL.into(), repo.org_id.to_string());
        let dependencies = outcome
            .depends_on
            .iter()
            .flat_map(|d| ids_of_name.get(d.name.as_str()).into_iter().flatten().cloned())
            .collect();
        let data = TaskData { id: id.to_string(), config: payload, timeout: repo.timeout };
        let data = serde_json::to_vec(&data)
            .map_err(|e| LifecycleError::Refused(format!("cannot encode workflow {id}: {e}")))?;
        let (concurrency_limit, concurrency_group) = match &outcome.concurrency {
            Some(c) => {
                (i32::try_from(c.limit).unwrap_or(i32::MAX), concurrency_group(repo, &outcome.name, &c.group))
            }
            None => (0, String::new()),
        };
        tasks.push(Task {
            id: id.to_string(),
            pid: outcome.pid as i32,
            name: outcome.name.clone(),
            data,
            labels,
            dependencies,
            run_on: outcome.runs_on.clone(),
            dep_status: BTreeMap::new(),
            agent_id: 0,
            pipeline_id: pipeline.id,
            repo_id: repo.id,
            concurrency_limit,
            concurrency_group,
            created: pipeline.created,
        });
    }
    Ok(tasks)
}

/// Upstream's concurrency key: the workflow name scopes a limit without a group, so only runs
/// of the same workflow of the repo count against it.
fn concurrency_group(repo: &Repo, workflow: &str, group: &str) -> String {
    if group.is_empty() { format!("{}/{workflow}/", repo.id) } else { format!("{}//{group}", repo.id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_groups_are_per_repo() {
        let repo = Repo { id: 7, ..Repo::default() };
        assert_eq!(concurrency_group(&repo, "deploy", ""), "7/deploy/");
        assert_eq!(concurrency_group(&repo, "deploy", "prod"), "7//prod");
    }
}
