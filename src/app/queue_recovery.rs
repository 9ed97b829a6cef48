//! Start-up recovery of the default memory queue after a crash (issue 7), the way upstream's
//! persistent queue reloads its task rows (engine.md §3.6): before the agent gRPC server
//! serves, every task still in the journal ([`JournaledQueue`]) is pushed again, exactly once,
//! with its dependencies.
//!
//! - A workflow that is gone or already finished is dropped from the journal.
//! - A workflow that was `pending` is queued as it was.
//! - A workflow that was `running` had its agent's lease die with the process, and the queue
//!   cannot know how far it got: it is queued again and runs again from its first step, as
//!   upstream re-queues it. Its steps go back to `pending` and their stored logs are deleted,
//!   so the new run's reports and lines are taken.
//! - A dependency that finished before the crash is no longer queued: its status is put into
//!   the dependent's `dep_status`, so `when`/`runs_on` rules still see it.

use std::collections::BTreeSet;

use anyhow::Context;

use crate::app::engine::Engine;
use crate::app::queue_journal::JournaledQueue;
use crate::domain::status::Status;
use crate::domain::task::Task;
use crate::domain::workflow::{Step, Workflow};
use crate::ports::store::StoreError;

/// What a recovery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovered {
    /// Tasks pushed again.
    pub queued: usize,
    /// Of those, the workflows that were running and run again from the start.
    pub rerun: usize,
    /// Journaled tasks dropped because their workflow is gone or finished.
    pub dropped: usize,
}

/// Pushes the journaled tasks of `queue` again; call it once, before agents are served.
///
/// # Errors
/// Store, log storage and queue failures.
pub async fn recover(engine: &Engine, queue: &JournaledQueue) -> anyhow::Result<Recovered> {
    let mut recovered = Recovered::default();
    let mut live = Vec::new();
    for task in queue.journaled().await.context("cannot read the task journal")? {
        match workflow_of(engine, &task.id).await? {
            Some(workflow) if !workflow.state.is_terminal() => {
                if workflow.state == Status::Running {
                    rerun_from_start(engine, workflow).await?;
                    recovered.rerun += 1;
                }
                live.push(task);
            }
            _ => {
                queue.forget(&task.id).await?;
                recovered.dropped += 1;
            }
        }
    }
    let queued: BTreeSet<String> = live.iter().map(|t| t.id.clone()).collect();
    for task in &mut live {
        task.agent_id = 0;
        record_finished_dependencies(engine, task, &queued).await?;
    }
    recovered.queued = live.len();
    queue.restore(live).await.context("cannot queue the recovered workflows")?;
    if recovered != Recovered::default() {
        tracing::warn!(
            queued = recovered.queued,
            rerun = recovered.rerun,
            dropped = recovered.dropped,
            "queued workflows recovered after a restart"
        );
    }
    Ok(recovered)
}

/// The workflow a task runs; `None` when the task names none or it was deleted.
async fn workflow_of(engine: &Engine, task_id: &str) -> anyhow::Result<Option<Workflow>> {
    let Ok(id) = task_id.parse::<i64>() else { return Ok(None) };
    match engine.store.get_workflow(id).await {
        Ok(workflow) => Ok(Some(workflow)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot load workflow {id} of a queued task")),
    }
}

/// Puts the status of each dependency that is no longer queued into `dep_status`.
async fn record_finished_dependencies(
    engine: &Engine,
    task: &mut Task,
    queued: &BTreeSet<String>,
) -> anyhow::Result<()> {
    for dependency in &task.dependencies {
        if queued.contains(dependency) || task.dep_status.contains_key(dependency) {
            continue;
        }
        if let Some(workflow) = workflow_of(engine, dependency).await?
            && workflow.state.is_terminal()
        {
            task.dep_status.insert(dependency.clone(), workflow.state);
        }
    }
    Ok(())
}

/// Resets a workflow that was running, and its steps, to `pending`, and deletes its steps' logs.
async fn rerun_from_start(engine: &Engine, workflow: Workflow) -> anyhow::Result<()> {
    let context = || format!("cannot reset workflow {} to run again", workflow.id);
    let trees = engine.store.list_workflows(workflow.pipeline_id).await.with_context(context)?;
    let steps = trees.into_iter().filter(|t| t.workflow.id == workflow.id).flat_map(|t| t.steps);
    for step in steps {
        engine.logs.delete(step.id).await.with_context(context)?;
        let fresh = Step {
            state: Status::Pending,
            error: String::new(),
            exit_code: 0,
            started: 0,
            finished: 0,
            ..step
        };
        engine.store.update_step(&fresh).await.with_context(context)?;
    }
    let fresh = Workflow {
        state: Status::Pending,
        error: String::new(),
        started: 0,
        finished: 0,
        agent_id: 0,
        ..workflow
    };
    engine.store.update_workflow(&fresh).await.with_context(context)?;
    Ok(())
}
