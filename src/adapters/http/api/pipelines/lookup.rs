//! Finding the pipeline and step a path names, shared by the pipeline, log and log-stream
//! handlers. "Not found" is `None`, so each caller answers it its own way (an empty 404, or an
//! in-band error event on a stream).

use crate::domain::pipeline::Pipeline;
use crate::domain::workflow::Step;
use crate::ports::store::{Store, StoreError};

/// The pipeline of a repo with this number.
///
/// # Errors
/// Only store failures.
pub(crate) async fn pipeline(
    store: &dyn Store,
    repo_id: i64,
    number: i64,
) -> Result<Option<Pipeline>, StoreError> {
    found(store.find_pipeline_by_number(repo_id, number).await)
}

/// The step with this id, if it belongs to `pipeline` (ids of other repos' steps stay hidden).
///
/// # Errors
/// Only store failures.
pub(crate) async fn step(
    store: &dyn Store,
    pipeline: &Pipeline,
    step_id: i64,
) -> Result<Option<Step>, StoreError> {
    Ok(found(store.get_step(step_id).await)?.filter(|s| s.pipeline_id == pipeline.id))
}

/// `NotFound` as `None`.
fn found<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
