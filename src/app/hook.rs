//! Receiving a forge webhook: check its token against the repo it names, read it with the forge,
//! and record the pipeline it asks for.

use std::sync::Arc;

use crate::app::version;
use crate::domain::pipeline::{Pipeline, message_skips_ci};
use crate::domain::repo::ApprovalRequest;
use crate::domain::status::Status;
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
}

/// What became of a webhook.
#[derive(Debug)]
pub enum HookResult {
    /// A pipeline was recorded (pending, or blocked until approved).
    Created(Box<Pipeline>),
    /// Nothing to build; the reason is told to the sender.
    Ignored(String),
    /// The commit asked to skip CI.
    Filtered,
}

/// Webhook reception.
#[derive(Clone)]
pub struct Hooks {
    store: Arc<dyn Store>,
    forge: Arc<dyn Forge>,
    clock: Arc<dyn Clock>,
    forge_id: i64,
}

impl Hooks {
    /// The use case over these adapters.
    pub fn new(store: Arc<dyn Store>, forge: Arc<dyn Forge>, clock: Arc<dyn Clock>, forge_id: i64) -> Self {
        Self { store, forge, clock, forge_id }
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
        Token::verify(token, &[TokenType::Hook], self.clock.now(), repo.hash.as_bytes())
            .map_err(|_| HookError::BadToken)?;

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
        if message_skips_ci(&parsed.pipeline.message) {
            return Ok(HookResult::Filtered);
        }
        let draft = parsed.pipeline;
        let approval =
            ApprovalRequest { event: draft.event, from_fork: draft.from_fork, author: &draft.author };
        let status = if repo.needs_approval(approval) { Status::Blocked } else { Status::Pending };
        let pipeline = Pipeline {
            repo_id: repo.id,
            status,
            created: self.clock.now(),
            updated: self.clock.now(),
            version: version::version(),
            ..draft
        };
        Ok(HookResult::Created(Box::new(self.store.create_pipeline(&pipeline).await?)))
    }
}
