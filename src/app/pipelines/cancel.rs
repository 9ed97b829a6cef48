//! Canceling a pipeline (engine.md §5.5), by a user or because a newer pipeline supersedes it
//! (`cancel_previous_pipeline_events`, §5.6).

use crate::app::engine::Engine;
use crate::app::events::publish_pipeline;
use crate::app::pipelines::{LifecycleError, Pipelines, all_pages};
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::{CancelInfo, Pipeline};
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::user::User;
use crate::ports::store::{PipelineFilter, WorkflowTree};

/// Statuses a pipeline can be canceled in.
const CANCELABLE: [Status; 3] = [Status::Pending, Status::Running, Status::Blocked];

impl Pipelines {
    /// Cancels pipeline `number` of `repo` for `user`.
    ///
    /// # Errors
    /// [`LifecycleError::NotFound`] for an unknown number, [`LifecycleError::BadRequest`] when
    /// it is not pending, running or blocked; store and queue failures.
    pub async fn cancel(&self, repo: &Repo, number: i64, user: &User) -> Result<Pipeline, LifecycleError> {
        let pipeline = self.pipeline(repo, number).await?;
        let info = CancelInfo { canceled_by_user: user.login.clone(), ..CancelInfo::default() };
        self.cancel_and_report(repo, pipeline, info).await
    }

    /// Cancels the pipeline ([`cancel_pipeline`]) and reports its workflows to the forge.
    pub(super) async fn cancel_and_report(
        &self,
        repo: &Repo,
        pipeline: Pipeline,
        info: CancelInfo,
    ) -> Result<Pipeline, LifecycleError> {
        let (pipeline, trees) = cancel_pipeline(&self.engine, repo, pipeline, info).await?;
        match self.owner(repo).await {
            Ok(owner) => self.report_status(&owner, repo, &pipeline, &trees).await,
            Err(error) => tracing::warn!(%error, repo = repo.id, "no owner to report the cancel for"),
        }
        Ok(pipeline)
    }

    /// Cancels the repo's other active pipelines of the same event on the same branch (push) or
    /// refspec (other events) that `pipeline` supersedes, when the repo lists the event in
    /// `cancel_previous_pipeline_events`. Only older pipelines are superseded.
    pub(super) async fn cancel_previous(
        &self,
        repo: &Repo,
        pipeline: &Pipeline,
    ) -> Result<(), LifecycleError> {
        if !repo.cancel_previous_pipeline_events.contains(&pipeline.event) {
            return Ok(());
        }
        let push = pipeline.event == WebhookEvent::Push;
        let mut superseded = Vec::new();
        for status in CANCELABLE {
            let filter = PipelineFilter {
                events: vec![pipeline.event],
                status: Some(status),
                branch: push.then(|| pipeline.branch.clone()),
                ..PipelineFilter::default()
            };
            let store = &self.engine.store;
            let active = all_pages(|page| store.list_pipelines(repo.id, &filter, page)).await?;
            superseded.extend(active.into_iter().filter(|old| {
                old.number < pipeline.number
                    && if push { old.branch == pipeline.branch } else { old.refspec == pipeline.refspec }
            }));
        }
        for old in superseded {
            let number = old.number;
            let info = CancelInfo { superseded_by: pipeline.number, ..CancelInfo::default() };
            match self.cancel_and_report(repo, old, info).await {
                // It ended meanwhile: nothing to supersede.
                Ok(_) | Err(LifecycleError::BadRequest(_)) => {}
                Err(error) => {
                    tracing::warn!(%error, repo = repo.id, number, "cannot cancel superseded pipeline")
                }
            }
        }
        Ok(())
    }
}

/// Evicts the pipeline's waiting and running workflows from the queue (agents see the cancel in
/// `Wait`), marks what never started as skipped (workflows) and canceled (steps), ends the
/// pipeline (`canceled` when nothing had started, else `killed`) and publishes it; returns it
/// with its tree. Running workflows are finished later by their agents' `Done`. Shared by a
/// user's cancel, superseding pipelines and a failing `failure: cancel` step.
///
/// # Errors
/// [`LifecycleError::BadRequest`] when the pipeline is not pending, running or blocked; store
/// and queue failures.
pub async fn cancel_pipeline(
    engine: &Engine,
    repo: &Repo,
    mut pipeline: Pipeline,
    info: CancelInfo,
) -> Result<(Pipeline, Vec<WorkflowTree>), LifecycleError> {
    if !CANCELABLE.contains(&pipeline.status) {
        return Err(LifecycleError::BadRequest(
            "Cannot cancel a non-running or non-pending or non-blocked pipeline".into(),
        ));
    }
    let store = &engine.store;
    let trees = store.list_workflows(pipeline.id).await?;
    let queued: Vec<String> = trees
        .iter()
        .filter(|t| matches!(t.workflow.state, Status::Pending | Status::Running))
        .map(|t| t.workflow.id.to_string())
        .collect();
    if !queued.is_empty() {
        engine.queue.cancel(&queued).await?;
    }
    let now = engine.clock.now();
    let nothing_started = trees.iter().all(|t| is_waiting(t.workflow.state));
    for tree in &trees {
        cancel_waiting(engine, tree, now).await?;
    }
    pipeline.status = if nothing_started { Status::Canceled } else { Status::Killed };
    pipeline.finished = now;
    pipeline.updated = now;
    pipeline.cancel_info = Some(info);
    store.update_pipeline(&pipeline).await?;
    let trees = store.list_workflows(pipeline.id).await?;
    publish_pipeline(engine.pubsub.as_ref(), repo, &pipeline, &trees).await;
    Ok((pipeline, trees))
}

/// Skips a workflow that never started and cancels its steps that never started; a step that
/// started (a service) but was still pending counts as a success.
async fn cancel_waiting(engine: &Engine, tree: &WorkflowTree, now: i64) -> Result<(), LifecycleError> {
    let store = &engine.store;
    if is_waiting(tree.workflow.state) {
        let mut workflow = tree.workflow.clone();
        workflow.state = Status::Skipped;
        store.update_workflow(&workflow).await?;
    }
    for step in tree.steps.iter().filter(|s| is_waiting(s.state)) {
        let mut step = step.clone();
        if step.started > 0 {
            step.state = Status::Success;
            step.finished = now;
        } else {
            step.state = Status::Canceled;
        }
        store.update_step(&step).await?;
    }
    Ok(())
}

/// Not started yet: pending, or blocked waiting for approval.
fn is_waiting(state: Status) -> bool {
    matches!(state, Status::Pending | Status::Blocked)
}
