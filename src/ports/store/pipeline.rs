//! Store ports of pipelines and of the config files they were built from.

use async_trait::async_trait;

use crate::domain::config::Config;
use crate::domain::event::WebhookEvent;
use crate::domain::log::LogRetention;
use crate::domain::pipeline::Pipeline;
use crate::domain::status::Status;
use crate::ports::store::{Page, StoreError};

/// Which pipelines of a repo a listing returns; every `None`/empty field matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineFilter {
    /// Only pipelines created before this unix time (exclusive).
    pub before: Option<i64>,
    /// Only pipelines created after this unix time (exclusive).
    pub after: Option<i64>,
    /// Only this branch.
    pub branch: Option<String>,
    /// Only these events.
    pub events: Vec<WebhookEvent>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only refs containing this text.
    pub ref_contains: Option<String>,
}

/// Pipelines.
#[async_trait]
pub trait PipelineStore: Send + Sync + 'static {
    /// Inserts a pipeline with the next free number of its repo (highest + 1, from 1) and
    /// returns it with its id and number; `created` is set to now when it is 0. Concurrent
    /// calls for one repo get distinct, gap-free numbers.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo does not exist.
    async fn create_pipeline(&self, pipeline: &Pipeline) -> Result<Pipeline, StoreError>;

    /// The pipeline with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_pipeline(&self, id: i64) -> Result<Pipeline, StoreError>;

    /// The pipeline of a repo with this number.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_pipeline_by_number(&self, repo_id: i64, number: i64) -> Result<Pipeline, StoreError>;

    /// The highest-numbered `push` pipeline of a repo on `branch`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn latest_pipeline(&self, repo_id: i64, branch: &str) -> Result<Pipeline, StoreError>;

    /// One page of a repo's pipelines matching `filter`, newest number first.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_pipelines(
        &self,
        repo_id: i64,
        filter: &PipelineFilter,
        page: Page,
    ) -> Result<Vec<Pipeline>, StoreError>;

    /// The highest-numbered pipeline of each of these repos that has one, in no particular
    /// order: one query for a whole repo list (the user's repo list shows each repo's newest).
    ///
    /// # Errors
    /// Only backend failures.
    async fn newest_pipeline_of_each(&self, repo_ids: &[i64]) -> Result<Vec<Pipeline>, StoreError>;

    /// Up to `limit` pipelines of these repos together, newest created first (ties: highest id).
    ///
    /// # Errors
    /// Only backend failures.
    async fn recent_pipelines_of(&self, repo_ids: &[i64], limit: i64) -> Result<Vec<Pipeline>, StoreError>;

    /// Saves every field of the pipeline with `pipeline.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the pipeline does not exist.
    async fn update_pipeline(&self, pipeline: &Pipeline) -> Result<(), StoreError>;

    /// Deletes the pipeline with its workflows, steps, logs and config links, and the configs no
    /// other pipeline uses. Its number becomes free again if it was the highest.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the pipeline does not exist.
    async fn delete_pipeline(&self, id: i64) -> Result<(), StoreError>;
}

/// The config files pipelines were built from; identical files are stored once per repo.
#[async_trait]
pub trait ConfigStore: Send + Sync + 'static {
    /// Links the configs to the pipeline, storing each `(repo_id, hash, name)` once, and returns
    /// them with their ids, in the order given.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the pipeline does not exist.
    async fn link_configs(&self, pipeline_id: i64, configs: &[Config]) -> Result<Vec<Config>, StoreError>;

    /// The configs linked to a pipeline, ordered by name.
    ///
    /// # Errors
    /// Only backend failures.
    async fn pipeline_configs(&self, pipeline_id: i64) -> Result<Vec<Config>, StoreError>;
}

/// What log retention needs to know about pipelines. Several servers may sweep at once: both
/// methods are safe to repeat.
#[async_trait]
pub trait LogRetentionStore: Send + Sync + 'static {
    /// Ids of decided pipelines whose logs `retention` no longer keeps at unix time `now` and
    /// that are not marked expired yet, oldest first, at most `limit`.
    ///
    /// # Errors
    /// Only backend failures.
    async fn pipelines_with_expired_logs(
        &self,
        retention: LogRetention,
        now: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError>;

    /// Records that the logs of a pipeline were deleted at `at`; an unknown or already marked
    /// pipeline is left as it is.
    ///
    /// # Errors
    /// Only backend failures.
    async fn mark_logs_expired(&self, pipeline_id: i64, at: i64) -> Result<(), StoreError>;
}
