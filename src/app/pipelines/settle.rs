//! Settling a pipeline: its status follows its workflows (engine.md §5.4). Called after any
//! workflow changed (the agent's `Done`, a server-side skip, an expired lease), so the rule
//! lives in one place.

use crate::app::engine::Engine;
use crate::app::events::publish_pipeline;
use crate::domain::pipeline::Pipeline;
use crate::domain::status::{Status, merge_all};
use crate::ports::store::{StoreError, WorkflowTree};

/// Recomputes the status of pipeline `pipeline_id` from its workflows, saves it when it changed,
/// and publishes the pipeline with its tree; returns the pipeline as saved.
///
/// - Every workflow finished: the pipeline gets the merge of their statuses (upstream's
///   `PipelineStatus`), `finished` = the latest workflow end (now when none is recorded).
/// - Otherwise, once a workflow started: `running`, `started` = the earliest workflow start.
/// - A pipeline that is already finished, blocked or declined keeps its status: a late report
///   after a cancel must not turn `killed` into `success`.
///
/// # Errors
/// Store failures; publishing is best effort and never fails the call.
pub async fn settle(engine: &Engine, pipeline_id: i64) -> Result<Pipeline, StoreError> {
    let mut pipeline = engine.store.get_pipeline(pipeline_id).await?;
    let trees = engine.store.list_workflows(pipeline.id).await?;
    let now = engine.clock.now();
    if let Some(next) = next_state(&pipeline, &trees, now) {
        pipeline = Pipeline { updated: now, ..next };
        engine.store.update_pipeline(&pipeline).await?;
    }
    let repo = engine.store.get_repo(pipeline.repo_id).await?;
    publish_pipeline(engine.pubsub.as_ref(), &repo, &pipeline, &trees).await;
    Ok(pipeline)
}

/// The pipeline as its workflows say it stands, or `None` when nothing changes.
fn next_state(pipeline: &Pipeline, trees: &[WorkflowTree], now: i64) -> Option<Pipeline> {
    if pipeline.status.is_terminal() || matches!(pipeline.status, Status::Blocked | Status::Declined) {
        return None;
    }
    let workflows = || trees.iter().map(|t| &t.workflow);
    let mut next = pipeline.clone();
    if workflows().all(|w| w.state.is_terminal()) {
        next.status = merge_all(workflows().map(|w| w.state));
        next.finished = workflows().map(|w| w.finished).max().filter(|f| *f > 0).unwrap_or(now);
        if next.started == 0 {
            next.started = workflows().map(|w| w.started).filter(|s| *s > 0).min().unwrap_or(next.finished);
        }
    } else if workflows().any(|w| w.state == Status::Running || w.started > 0) {
        next.status = Status::Running;
        if next.started == 0 {
            next.started = workflows().map(|w| w.started).filter(|s| *s > 0).min().unwrap_or(now);
        }
    }
    (next != *pipeline).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::Workflow;

    fn tree(state: Status, started: i64, finished: i64) -> WorkflowTree {
        WorkflowTree { workflow: Workflow { state, started, finished, ..Workflow::default() }, steps: vec![] }
    }

    fn pending() -> Pipeline {
        Pipeline { status: Status::Pending, ..Pipeline::default() }
    }

    #[test]
    fn a_started_workflow_makes_the_pipeline_run() {
        let next = next_state(&pending(), &[tree(Status::Running, 10, 0), tree(Status::Pending, 0, 0)], 50);
        let next = next.expect("the pipeline changes");
        assert_eq!((next.status, next.started, next.finished), (Status::Running, 10, 0));
    }

    #[test]
    fn finished_workflows_merge_into_the_pipeline_status() {
        let trees =
            [tree(Status::Success, 10, 20), tree(Status::Failure, 12, 30), tree(Status::Skipped, 0, 0)];
        let next = next_state(&pending(), &trees, 50).expect("the pipeline changes");
        assert_eq!((next.status, next.started, next.finished), (Status::Failure, 10, 30));
    }

    #[test]
    fn only_skipped_workflows_end_in_success_now() {
        let next = next_state(&pending(), &[tree(Status::Skipped, 0, 0)], 50).expect("changes");
        assert_eq!((next.status, next.finished), (Status::Success, 50));
    }

    #[test]
    fn a_finished_pipeline_keeps_its_status() {
        let killed = Pipeline { status: Status::Killed, finished: 40, ..Pipeline::default() };
        assert_eq!(next_state(&killed, &[tree(Status::Success, 10, 45)], 50), None);
    }

    #[test]
    fn nothing_changes_while_every_workflow_waits() {
        assert_eq!(next_state(&pending(), &[tree(Status::Pending, 0, 0)], 50), None);
    }
}
