//! Repository use cases: activating a forge repo in Nuthatch (which installs its webhook),
//! deactivating it again, and deleting it with everything it owns, step logs included.

use std::sync::Arc;

use crate::app::identity::random_secret;
use crate::app::step_logs::{LogDeletionError, delete_repo_logs};
use crate::domain::event::WebhookEvent;
use crate::domain::perm::Perm;
use crate::domain::repo::{Repo, Visibility};
use crate::domain::token::{Token, TokenType, claims};
use crate::domain::user::User;
use crate::ports::clock::Clock;
use crate::ports::forge::{Forge, ForgeError};
use crate::ports::logs::{LogStorage, LogStorageError};
use crate::ports::store::{Store, StoreError};

/// Why a repo use case failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The repo is active already.
    #[error("Repository is already active.")]
    AlreadyActive,
    /// The caller does not administer the repo at the forge.
    #[error("User has to be a admin of this repository")]
    NotAdmin,
    /// The forge failed.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log storage failed.
    #[error(transparent)]
    Logs(#[from] LogStorageError),
}

impl From<LogDeletionError> for RepoError {
    fn from(e: LogDeletionError) -> Self {
        match e {
            LogDeletionError::Store(e) => Self::Store(e),
            LogDeletionError::Logs(e) => Self::Logs(e),
        }
    }
}

/// Defaults for newly activated repos (upstream's `WOODPECKER_DEFAULT_*` settings).
#[derive(Debug, Clone)]
pub struct RepoDefaults {
    /// Pipeline timeout in minutes.
    pub timeout: i64,
    /// Events whose new pipelines cancel older active ones (engine.md §5.6).
    pub cancel_previous_pipeline_events: Vec<WebhookEvent>,
}

/// Repo activation and deactivation.
#[derive(Clone)]
pub struct Repos {
    store: Arc<dyn Store>,
    logs: Arc<dyn LogStorage>,
    forge: Arc<dyn Forge>,
    clock: Arc<dyn Clock>,
    forge_id: i64,
    /// Base URL webhooks are sent to (`WOODPECKER_WEBHOOK_HOST`, else `WOODPECKER_HOST`).
    hook_host: String,
    defaults: RepoDefaults,
}

impl Repos {
    /// The use cases over these adapters.
    pub fn new(
        store: Arc<dyn Store>,
        logs: Arc<dyn LogStorage>,
        forge: Arc<dyn Forge>,
        clock: Arc<dyn Clock>,
        forge_id: i64,
        hook_host: String,
        defaults: RepoDefaults,
    ) -> Self {
        Self {
            store,
            logs,
            forge,
            clock,
            forge_id,
            hook_host: hook_host.trim_end_matches('/').to_owned(),
            defaults,
        }
    }

    /// The webhook URL of a repo: `/api/hook` with a hook token signed by the repo's hash.
    pub fn hook_link(&self, repo: &Repo) -> String {
        let token = Token::new(
            TokenType::Hook,
            [
                (claims::FORGE_ID, repo.forge_id.to_string()),
                (claims::REPO_FORGE_REMOTE_ID, repo.forge_remote_id.clone()),
            ],
        )
        .sign(repo.hash.as_bytes());
        format!("{}/api/hook?access_token={token}", self.hook_host)
    }

    /// Activates the forge repo `forge_remote_id` for `user`, who must administer it at the
    /// forge: stores it (or reactivates the stored one) with `user` as owner, installs the
    /// webhook, and records the user's permission.
    pub async fn activate(&self, user: &User, forge_remote_id: &str) -> Result<Repo, RepoError> {
        let remote = self.forge.repo(user, forge_remote_id, "", "").await?;
        if !remote.perm.admin {
            return Err(RepoError::NotAdmin);
        }
        let existing = match self.store.find_repo_by_forge_id(self.forge_id, forge_remote_id).await {
            Ok(repo) => Some(repo),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        if existing.as_ref().is_some_and(|r| r.active) {
            return Err(RepoError::AlreadyActive);
        }
        let org_id = self
            .store
            .find_org_by_name(self.forge_id, &remote.repo.owner)
            .await
            .map_or(user.org_id, |o| o.id);
        let mut repo = existing.unwrap_or_else(|| Repo {
            timeout: self.defaults.timeout,
            allow_pr: true,
            cancel_previous_pipeline_events: self.defaults.cancel_previous_pipeline_events.clone(),
            visibility: if remote.repo.private { Visibility::Private } else { Visibility::Public },
            ..remote.repo.clone()
        });
        repo.forge_id = self.forge_id;
        repo.user_id = user.id;
        repo.org_id = org_id;
        repo.active = true;
        repo.hash = random_secret();
        repo.clone_url = remote.repo.clone_url.clone();
        repo.default_branch = remote.repo.default_branch.clone();
        repo = if repo.id == 0 {
            self.store.create_repo(&repo).await?
        } else {
            self.store.update_repo(&repo).await?;
            repo
        };
        self.forge.activate(user, &repo, &self.hook_link(&repo)).await?;
        let now = self.clock.now();
        let perm = Perm {
            user_id: user.id,
            repo_id: repo.id,
            synced: now,
            created: now,
            updated: now,
            ..remote.perm
        };
        self.store.set_perm(&perm).await?;
        Ok(repo)
    }

    /// Deactivates a repo (removes its webhook, keeps its history), or with `remove` deletes it
    /// with everything it owns. Returns the repo as it was left. The webhook is removed with the
    /// repo owner's forge credentials (falling back to the caller's when the owner is gone), as
    /// the owner is who installed it.
    pub async fn deactivate(&self, caller: &User, mut repo: Repo, remove: bool) -> Result<Repo, RepoError> {
        let owner = match self.store.get_user(repo.user_id).await {
            Ok(owner) => owner,
            Err(StoreError::NotFound(_)) => caller.clone(),
            Err(e) => return Err(e.into()),
        };
        match self.forge.deactivate(&owner, &repo, &self.hook_link(&repo)).await {
            Ok(()) | Err(ForgeError::NotFound(_)) => {}
            Err(e) if !remove => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, repo = %repo.full_name, "webhook removal failed; deleting anyway")
            }
        }
        if remove {
            self.delete(repo.id).await?;
        } else {
            repo.active = false;
            self.store.update_repo(&repo).await?;
        }
        Ok(repo)
    }

    /// Deletes a repo with everything it owns: its step logs first, through the log storage
    /// (they may be files the database cannot reach), then its rows.
    ///
    /// # Errors
    /// Store and log storage failures.
    pub async fn delete(&self, repo_id: i64) -> Result<(), RepoError> {
        delete_repo_logs(self.store.as_ref(), self.logs.as_ref(), repo_id).await?;
        self.store.delete_repo(repo_id).await?;
        Ok(())
    }
}
