//! Starting a built pipeline (upstream's `pipeline.start`): it becomes `pending`, supersedes
//! older runs of the same branch or ref when the repo says so, and its workflows are queued.

use crate::app::pipelines::compile::Compiled;
use crate::app::pipelines::tasks::build_tasks;
use crate::app::pipelines::{LifecycleError, Pipelines, generic_error};
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::user::User;
use crate::ports::store::WorkflowTree;

impl Pipelines {
    /// Queues the workflows `trees` (stored from `compiled`) of `pipeline`.
    ///
    /// # Errors
    /// Store and queue failures; a pipeline the queue refused ends in `error`.
    pub(super) async fn start(
        &self,
        owner: &User,
        repo: &Repo,
        mut pipeline: Pipeline,
        compiled: &Compiled,
        trees: &[WorkflowTree],
    ) -> Result<Pipeline, LifecycleError> {
        pipeline.status = Status::Pending;
        pipeline.updated = self.engine.clock.now();
        self.engine.store.update_pipeline(&pipeline).await?;
        self.cancel_previous(repo, &pipeline).await?;
        let tasks = build_tasks(repo, &pipeline, compiled, trees)?;
        if let Err(e) = self.engine.queue.push(tasks).await {
            pipeline.errors.push(generic_error(format!("cannot queue the pipeline: {e}")));
            self.fail(repo, pipeline).await?;
            return Err(e.into());
        }
        let trees = self.publish(repo, &pipeline).await?;
        self.report_status(owner, repo, &pipeline, &trees).await;
        Ok(pipeline)
    }
}
