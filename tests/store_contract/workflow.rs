//! Workflows, steps, logs and configs of a pipeline.

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::config::Config;
use nuthatch::domain::log::{LogEntry, LogEntryType};
use nuthatch::domain::status::Status;
use nuthatch::domain::workflow::{FailureMode, Step, StepType, Workflow};
use nuthatch::ports::store::{ConfigStore, LogStore, StoreError, WorkflowStore};

use crate::store_contract::fixtures::{create_pipeline, create_repo, create_step, tree};

pub async fn workflow_trees_round_trip_and_steps_are_found_by_uuid(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let p = create_pipeline(store, repo.id).await;
    let mut second = tree(p.id, 2, &["u-3"]);
    second.workflow.environ.insert("GO".into(), "1.22".into());
    second.steps[0].step_type = StepType::Plugin;
    second.steps[0].failure = FailureMode::Ignore;
    let created = store.create_workflows(&[tree(p.id, 1, &["u-1", "u-2"]), second]).await.unwrap();
    assert!(created.iter().all(|t| t.workflow.id > 0 && t.steps.iter().all(|s| s.id > 0)));
    assert_eq!(store.list_workflows(p.id).await.unwrap(), created);

    let step = store.find_step_by_uuid("u-3").await.unwrap();
    assert_eq!(step, created[1].steps[0]);
    assert_eq!(store.get_step(step.id).await.unwrap(), step);
    let done = Step {
        state: Status::Failure,
        exit_code: 2,
        started: 10,
        finished: 20,
        error: "boom".into(),
        ..step
    };
    store.update_step(&done).await.unwrap();
    assert_eq!(store.get_step(done.id).await.unwrap(), done);
    let running = Workflow {
        state: Status::Running,
        agent_id: 9,
        started: 10,
        platform: "linux/amd64".into(),
        ..created[0].workflow.clone()
    };
    store.update_workflow(&running).await.unwrap();
    assert_eq!(store.list_workflows(p.id).await.unwrap()[0].workflow, running);
    assert_eq!(store.get_workflow(running.id).await.unwrap(), running);

    store.delete_workflows(p.id).await.unwrap();
    assert!(store.list_workflows(p.id).await.unwrap().is_empty());
    assert!(matches!(store.find_step_by_uuid("u-1").await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.update_step(&done).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.get_workflow(running.id).await, Err(StoreError::NotFound(_))));
}

pub async fn a_duplicate_step_uuid_stores_nothing(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let p = create_pipeline(store, repo.id).await;
    create_step(store, p.id, "taken").await;
    let clash = store.create_workflows(&[tree(p.id, 2, &["fresh"]), tree(p.id, 3, &["taken"])]).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))));
    assert_eq!(store.list_workflows(p.id).await.unwrap().len(), 1);
    assert!(matches!(store.find_step_by_uuid("fresh").await, Err(StoreError::NotFound(_))));
}

pub async fn logs_are_appended_in_batches_and_listed_by_line(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let p = create_pipeline(store, repo.id).await;
    let step = create_step(store, p.id, "s").await;
    let line = |n: i32| LogEntry {
        step_id: step.id,
        line: n,
        time: i64::from(n),
        data: format!("line {n}").into_bytes(),
        entry_type: if n == 3 { LogEntryType::ExitCode } else { LogEntryType::Stdout },
        ..LogEntry::default()
    };
    store.append_logs(&[line(2), line(0)]).await.unwrap();
    store.append_logs(&[line(3), line(1)]).await.unwrap();
    let listed = store.list_logs(step.id).await.unwrap();
    assert_eq!(listed.iter().map(|e| e.line).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(listed[3].data, b"line 3");
    assert_eq!(listed[3].entry_type, LogEntryType::ExitCode);

    assert!(matches!(store.append_logs(&[line(4), line(1)]).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.list_logs(step.id).await.unwrap().len(), 4, "a failed batch stores nothing");

    store.delete_logs(step.id).await.unwrap();
    assert!(store.list_logs(step.id).await.unwrap().is_empty());
}

pub async fn configs_are_stored_once_per_repo(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let first = create_pipeline(store, repo.id).await;
    let second = create_pipeline(store, repo.id).await;
    let config = |name: &str| Config {
        repo_id: repo.id,
        hash: "same".into(),
        name: name.into(),
        data: vec![0, 159, 146, 150],
        ..Config::default()
    };
    let a = store.link_configs(first.id, &[config("b.yaml"), config("a.yaml")]).await.unwrap();
    let b = store.link_configs(second.id, &[config("a.yaml")]).await.unwrap();
    assert_eq!(b[0].id, a[1].id);
    let listed = store.pipeline_configs(first.id).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a.yaml", "b.yaml"]);
    assert_eq!(listed[0], a[1]);
    assert!(matches!(store.link_configs(999_999, &[config("x")]).await, Err(StoreError::NotFound(_))));
}
