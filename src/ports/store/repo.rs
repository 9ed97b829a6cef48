//! Store port of repos and the redirections that keep renamed repos reachable.

use async_trait::async_trait;

use crate::domain::repo::{Redirection, Repo};
use crate::ports::store::{Page, StoreError};

/// Repos.
#[async_trait]
pub trait RepoStore: Send + Sync + 'static {
    /// Inserts a repo and returns it with its new id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when its full name is taken (case-insensitively).
    async fn create_repo(&self, repo: &Repo) -> Result<Repo, StoreError>;

    /// The repo with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_repo(&self, id: i64) -> Result<Repo, StoreError>;

    /// The repo with this id at this forge.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_repo_by_forge_id(&self, forge_id: i64, forge_remote_id: &str) -> Result<Repo, StoreError>;

    /// The repo called `owner/name`, compared case-insensitively; when no repo has that name,
    /// the repo a redirection with that name leads to.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when neither exists.
    async fn find_repo_by_full_name(&self, full_name: &str) -> Result<Repo, StoreError>;

    /// One page of repos (only active ones if `active_only`), ordered by full name.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_repos(&self, active_only: bool, page: Page) -> Result<Vec<Repo>, StoreError>;

    /// Saves every field of the repo with `repo.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo does not exist and
    /// [`StoreError::Conflict`] when the new full name is taken.
    async fn update_repo(&self, repo: &Repo) -> Result<(), StoreError>;

    /// Deletes the repo with everything that belongs to it: pipelines with their workflows,
    /// steps, logs and configs, permissions, secrets, registries, crons, tasks and redirections.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo does not exist.
    async fn delete_repo(&self, id: i64) -> Result<(), StoreError>;

    /// Records that the repo was once called `redirection.full_name`.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when a redirection with that name exists, and
    /// [`StoreError::NotFound`] when the repo does not.
    async fn create_redirection(&self, redirection: &Redirection) -> Result<Redirection, StoreError>;
}
