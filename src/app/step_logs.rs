//! Deleting stored step logs through the log storage port. The logs may live outside the
//! database (`WOODPECKER_LOG_STORE=file`), where deleting rows cannot reach them, so whatever
//! deletes pipelines (one pipeline, a repo, an org, log retention) deletes their logs here
//! first and the rows after: a failure in between leaves rows without logs, never log files
//! that nothing points at.

use crate::ports::logs::{LogStorage, LogStorageError};
use crate::ports::store::{PipelineFilter, Store, StoreError, every_page};

/// Why logs could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum LogDeletionError {
    /// Listing the pipelines or steps failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log storage failed.
    #[error(transparent)]
    Logs(#[from] LogStorageError),
}

/// Deletes the logs of every step of pipeline `pipeline_id`.
///
/// # Errors
/// Store and log storage failures; logs deleted before the failure stay deleted.
pub async fn delete_pipeline_logs(
    store: &dyn Store,
    logs: &dyn LogStorage,
    pipeline_id: i64,
) -> Result<(), LogDeletionError> {
    for tree in store.list_workflows(pipeline_id).await? {
        for step in tree.steps {
            logs.delete(step.id).await?;
        }
    }
    Ok(())
}

/// Deletes the logs of every step of every pipeline of repo `repo_id`.
///
/// # Errors
/// As [`delete_pipeline_logs`].
pub async fn delete_repo_logs(
    store: &dyn Store,
    logs: &dyn LogStorage,
    repo_id: i64,
) -> Result<(), LogDeletionError> {
    let filter = PipelineFilter::default();
    for pipeline in every_page(|page| store.list_pipelines(repo_id, &filter, page)).await? {
        delete_pipeline_logs(store, logs, pipeline.id).await?;
    }
    Ok(())
}
