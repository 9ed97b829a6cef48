//! Deleting a finished pipeline with its workflows, steps, logs and the configs no other
//! pipeline uses (api.md §4.6).

use crate::app::pipelines::{LifecycleError, Pipelines};
use crate::domain::repo::Repo;

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
        let store = &self.engine.store;
        // The log storage may live outside the database (files): clear it step by step first.
        for tree in store.list_workflows(pipeline.id).await? {
            for step in tree.steps {
                self.engine.logs.delete(step.id).await?;
            }
        }
        store.delete_pipeline(pipeline.id).await?;
        Ok(())
    }
}
