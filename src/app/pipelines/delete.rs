//! Deleting a finished pipeline with its workflows, steps, logs and the configs no other
//! pipeline uses (api.md §4.6).

use crate::app::pipelines::{LifecycleError, Pipelines};
use crate::app::step_logs::{LogDeletionError, delete_pipeline_logs};
use crate::domain::repo::Repo;

impl From<LogDeletionError> for LifecycleError {
    fn from(e: LogDeletionError) -> Self {
        match e {
            LogDeletionError::Store(e) => Self::Store(e),
            LogDeletionError::Logs(e) => Self::Logs(e),
        }
    }
}

impl Pipelines {
    /// Deletes pipeline `number` of `repo`.
    ///
    /// # Errors
    /// [`LifecycleError::NotFound`] for an unknown number; [`LifecycleError::Unprocessable`]
    /// while it is still undecided (created, pending, running or blocked); store and log
    /// storage failures.
    pub async fn delete(&self, repo: &Repo, number: i64) -> Result<(), LifecycleError> {
        let pipeline = self.pipeline(repo, number).await?;
        if pipeline.status.is_active() {
            return Err(LifecycleError::Unprocessable(format!(
                "Cannot delete pipeline with status {}",
                pipeline.status
            )));
        }
        delete_pipeline_logs(self.engine.store.as_ref(), self.engine.logs.as_ref(), pipeline.id).await?;
        self.engine.store.delete_pipeline(pipeline.id).await?;
        Ok(())
    }
}
