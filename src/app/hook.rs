//! Receiving a forge webhook: check its token against the repo it names, read it with the forge,
//! and create the pipeline it asks for (through [`Pipelines::create`]).

use std::sync::Arc;

use crate::app::pipelines::{Created, LifecycleError, Pipelines};
use crate::domain::pipeline::Pipeline;
use crate::domain::token::{Token, TokenType, claims};
use crate::ports::clock::Clock;
use crate::ports::forge::{Forge, ForgeError, HookOutcome, HookRequest};
use crate::ports::store::{Store, StoreError};

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// Missing, malformed or forged hook token, or one for another repo.
    #[error("failure to parse token from hook")]
    BadToken,
    /// The forge could not read the request.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Creating the pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] LifecycleError),
}

/// What became of a webhook.
#[derive(Debug)]
pub enum HookResult {
    /// A pipeline was created (pending, blocked until approved, or in error for a bad config).
    Created(Box<Pipeline>),
    /// Nothing to build; the reason is told to the sender.
    Ignored(String),
    /// Nothing to run: the commit asked to skip CI, or no workflow matched.
    Filtered,
}

/// Webhook reception.
#[derive(Clone)]
pub struct Hooks {
    store: Arc<dyn Store>,
    forge: Arc<dyn Forge>,
    clock: Arc<dyn Clock>,
    pipelines: Pipelines,
    forge_id: i64,
}

impl Hooks {
    /// The use case over the pipeline lifecycle (whose engine holds the store and clock).
    pub fn new(pipelines: Pipelines, forge: Arc<dyn Forge>, forge_id: i64) -> Self {
        let engine = pipelines.engine();
        Self { store: engine.store.clone(), clock: engine.clock.clone(), forge, pipelines, forge_id }
    }

    /// Handles one webhook request carrying hook token `token`.
    pub async fn receive(&self, request: &HookRequest, token: Option<&str>) -> Result<HookResult, HookError> {
        let token = token.ok_or(HookError::BadToken)?;
        let claimed = Token::peek(token, &[TokenType::Hook]).map_err(|_| HookError::BadToken)?;
        if claimed.claim(claims::FORGE_ID) != Some(self.forge_id.to_string().as_str()) {
            return Err(HookError::BadToken);
        }
        let remote_id = claimed.claim(claims::REPO_FORGE_REMOTE_ID).ok_or(HookError::BadToken)?;
        let repo = match self.store.find_repo_by_forge_id(self.forge_id, remote_id).await {
            Ok(repo) => repo,
            Err(StoreError::NotFound(_)) => return Err(HookError::BadToken),
            Err(e) => return Err(e.into()),
        };
        claimed.verify(self.clock.now(), repo.hash.as_bytes()).map_err(|_| HookError::BadToken)?;

        let parsed = match self.forge.hook(request).await? {
            HookOutcome::Ignored(reason) => return Ok(HookResult::Ignored(reason)),
            HookOutcome::Pipeline(parsed) => parsed,
        };
        if parsed.repo.forge_remote_id != repo.forge_remote_id {
            return Err(HookError::Forge(ForgeError::InvalidHook(
                "the hook is about another repository".into(),
            )));
        }
        if !repo.active {
            return Ok(HookResult::Ignored(format!("repo {} is not active", repo.full_name)));
        }
        if parsed.pipeline.event.is_pull_request() && !repo.allow_pr {
            return Ok(HookResult::Ignored(format!(
                "pull requests are disabled for repo {}",
                repo.full_name
            )));
        }
        Ok(match self.pipelines.create(&repo, parsed.pipeline).await? {
            Created::Pipeline(pipeline) => HookResult::Created(pipeline),
            Created::Filtered => HookResult::Filtered,
        })
    }
}
