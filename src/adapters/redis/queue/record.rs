//! How a task is stored in Redis: an immutable JSON record per id (everything but the payload,
//! the agent and the dependency outcomes, which live in keys of their own so that scripts
//! never rewrite the record), and how the scripts' snapshots turn back into tasks.

use std::collections::BTreeMap;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::domain::status::Status;
use crate::domain::task::Task;

/// The stored fields of a task; the scripts read `dependencies`.
#[derive(Serialize, Deserialize)]
struct Record {
    pid: i32,
    name: String,
    labels: BTreeMap<String, String>,
    dependencies: Vec<String>,
    run_on: Vec<String>,
    pipeline_id: i64,
    repo_id: i64,
    concurrency_limit: i32,
    concurrency_group: String,
    created: i64,
}

/// Just the labels of a record, for matching polls against ready tasks.
#[derive(Deserialize)]
struct LabelsOnly {
    labels: BTreeMap<String, String>,
}

/// A task as a script returns it: record, payload, agent id, dependency outcomes as a flat
/// `id, status, ...` list.
pub(super) type Stored = (String, Vec<u8>, i64, Vec<String>);

/// The record of `task`.
pub(super) fn encode(task: &Task) -> anyhow::Result<String> {
    let record = Record {
        pid: task.pid,
        name: task.name.clone(),
        labels: task.labels.clone(),
        dependencies: task.dependencies.clone(),
        run_on: task.run_on.clone(),
        pipeline_id: task.pipeline_id,
        repo_id: task.repo_id,
        concurrency_limit: task.concurrency_limit,
        concurrency_group: task.concurrency_group.clone(),
        created: task.created,
    };
    serde_json::to_string(&record).with_context(|| format!("redis queue: encoding task {}", task.id))
}

/// The labels in a stored record.
pub(super) fn labels(id: &str, record: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let only: LabelsOnly =
        serde_json::from_str(record).with_context(|| format!("redis queue: bad record of task {id}"))?;
    Ok(only.labels)
}

/// The task `id` from its stored parts.
pub(super) fn decode(id: String, (record, data, agent_id, dep_status): Stored) -> anyhow::Result<Task> {
    let record: Record =
        serde_json::from_str(&record).with_context(|| format!("redis queue: bad record of task {id}"))?;
    let dep_status = dep_status
        .chunks(2)
        .map(|pair| match pair {
            [dep, status] => Ok((dep.clone(), status.parse::<Status>()?)),
            _ => anyhow::bail!("odd dependency status list"),
        })
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("redis queue: bad dependency status of task {id}"))?;
    Ok(Task {
        id,
        pid: record.pid,
        name: record.name,
        data,
        labels: record.labels,
        dependencies: record.dependencies,
        run_on: record.run_on,
        dep_status,
        agent_id,
        pipeline_id: record.pipeline_id,
        repo_id: record.repo_id,
        concurrency_limit: record.concurrency_limit,
        concurrency_group: record.concurrency_group,
        created: record.created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_survives_the_round_trip() {
        let task = Task {
            id: "7".into(),
            pid: 2,
            name: "build".into(),
            data: b"{\"id\":\"7\"}".to_vec(),
            labels: BTreeMap::from([("platform".into(), "linux/amd64".into())]),
            dependencies: vec!["6".into()],
            run_on: vec!["failure".into()],
            dep_status: BTreeMap::from([("6".into(), Status::Failure)]),
            agent_id: 3,
            pipeline_id: 4,
            repo_id: 5,
            concurrency_limit: 1,
            concurrency_group: "5/build/".into(),
            created: 1_700_000_000,
        };
        let record = encode(&task).unwrap();
        assert_eq!(labels("7", &record).unwrap(), task.labels);
        let stored = (record, task.data.clone(), 3, vec!["6".into(), "failure".into()]);
        assert_eq!(decode("7".into(), stored).unwrap(), task);
    }

    #[test]
    fn unknown_dependency_statuses_are_errors() {
        let record = encode(&Task::default()).unwrap();
        let stored = (record, Vec::new(), 0, vec!["6".into(), "bogus".into()]);
        assert!(decode("7".into(), stored).is_err());
    }
}
