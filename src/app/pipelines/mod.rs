//! Pipeline lifecycle use cases (engine.md §5): create (webhook, manual, cron, restart), start,
//! approve and decline, cancel, delete, and settling a pipeline's status from its workflows.
//!
//! # Layout
//! - [`settings`]: what the server passes to every build (clone image, global env, ...).
//! - `configs`: fetching the config files from the forge and storing them with the pipeline.
//! - [`extensions`]: config, secret and registry extensions consulted while building.
//! - `inputs`, `compile`: metadata, secrets and registries in, workflows and steps out.
//! - `create`, `start`, `tasks`: a new pipeline from a draft, through to the queue.
//! - `triggers`: drafts of manual and cron pipelines; `restart`: a copy of an old one.
//! - `review`: approve and decline; `cancel`, `delete`.
//! - [`settle`](settle()): the pipeline status follows its workflows (shared with the agent RPCs).

mod cancel;
mod compile;
mod configs;
mod create;
mod delete;
pub mod extensions;
mod inputs;
mod restart;
mod review;
pub mod settings;
mod settle;
mod start;
mod tasks;
mod triggers;

use std::sync::Arc;

use crate::app::engine::Engine;
use crate::app::events::publish_pipeline;
use crate::domain::pipeline::{Pipeline, PipelineError};
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::user::User;
use crate::ports::forge::{Forge, ForgeError};
use crate::ports::logs::LogStorageError;
use crate::ports::queue::QueueError;
use crate::ports::store::{StoreError, WorkflowTree};
// Submodules page through store listings with it.
use crate::ports::store::every_page as all_pages;

pub use cancel::cancel_pipeline;
pub use create::Created;
pub use extensions::{Endpoint, ExtensionEndpoints, Extensions};
pub use restart::RestartOptions;
pub use settings::PipelineSettings;
pub use settle::settle;
pub use triggers::ManualOptions;

/// Why a lifecycle use case refused or failed; the HTTP layer maps each kind to upstream's
/// status code, with the message as plain-text body.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// Something named in the request does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the pipeline's state or is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// The repo's settings forbid it (403).
    #[error("{0}")]
    Forbidden(String),
    /// The pipeline is in a state that forbids it (422).
    #[error("{0}")]
    Unprocessable(String),
    /// Refused with a server error, as upstream does for declining a non-blocked pipeline (500).
    #[error("{0}")]
    Refused(String),
    /// The forge failed.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The log storage failed.
    #[error(transparent)]
    Logs(#[from] LogStorageError),
}

/// The lifecycle use cases over the engine's ports and the forge; cheap to clone.
#[derive(Clone)]
pub struct Pipelines {
    engine: Engine,
    forge: Arc<dyn Forge>,
    settings: Arc<PipelineSettings>,
    extensions: Option<Extensions>,
}

impl Pipelines {
    /// The use cases over these ports.
    pub fn new(engine: Engine, forge: Arc<dyn Forge>, settings: PipelineSettings) -> Self {
        Self { engine, forge, settings: Arc::new(settings), extensions: None }
    }

    /// The same use cases, consulting these config, secret and registry extensions.
    pub fn with_extensions(self, extensions: Extensions) -> Self {
        Self { extensions: Some(extensions), ..self }
    }

    /// The engine the use cases run on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The repo's owner, whose forge credentials fetch configs and report statuses.
    async fn owner(&self, repo: &Repo) -> Result<User, LifecycleError> {
        match self.engine.store.get_user(repo.user_id).await {
            Ok(user) => Ok(user),
            Err(StoreError::NotFound(_)) => {
                Err(LifecycleError::NotFound(format!("owner of repo {} not found", repo.full_name)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The pipeline of `repo` numbered `number`.
    async fn pipeline(&self, repo: &Repo, number: i64) -> Result<Pipeline, LifecycleError> {
        match self.engine.store.find_pipeline_by_number(repo.id, number).await {
            Ok(pipeline) => Ok(pipeline),
            Err(StoreError::NotFound(_)) => Err(LifecycleError::NotFound(String::new())),
            Err(e) => Err(e.into()),
        }
    }

    /// Tells live viewers about the pipeline and its current tree.
    async fn publish(&self, repo: &Repo, pipeline: &Pipeline) -> Result<Vec<WorkflowTree>, StoreError> {
        let trees = self.engine.store.list_workflows(pipeline.id).await?;
        publish_pipeline(self.engine.pubsub.as_ref(), repo, pipeline, &trees).await;
        Ok(trees)
    }

    /// Reports every workflow's state as a commit status. Best effort: a forge that cannot be
    /// reached must not stop the pipeline.
    async fn report_status(&self, owner: &User, repo: &Repo, pipeline: &Pipeline, trees: &[WorkflowTree]) {
        for tree in trees {
            if let Err(error) = self.forge.status(owner, repo, pipeline, &tree.workflow).await {
                tracing::warn!(%error, repo = repo.id, pipeline = pipeline.number, "cannot report commit status");
            }
        }
    }

    /// Ends a pipeline that cannot run in `error` (its `errors` say why), started and finished
    /// now, and publishes it.
    async fn fail(&self, repo: &Repo, mut pipeline: Pipeline) -> Result<Pipeline, LifecycleError> {
        let now = self.engine.clock.now();
        pipeline.status = Status::Error;
        pipeline.started = now;
        pipeline.finished = now;
        pipeline.updated = now;
        self.engine.store.update_pipeline(&pipeline).await?;
        self.publish(repo, &pipeline).await?;
        Ok(pipeline)
    }
}

/// A blocking error that is not about one config file (config fetch, queue, ...).
fn generic_error(message: impl Into<String>) -> PipelineError {
    PipelineError {
        kind: "generic".into(),
        message: message.into(),
        is_warning: false,
        data: serde_json::Value::Null,
    }
}
