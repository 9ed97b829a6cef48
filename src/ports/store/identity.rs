//! Store ports of identities: users, orgs and users' repo permissions.

use async_trait::async_trait;

use crate::domain::org::Org;
use crate::domain::perm::Perm;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::store::{Page, StoreError};

/// Users.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Inserts a user and returns it with its new id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when `(forge_id, login)` is taken.
    async fn create_user(&self, user: &User) -> Result<User, StoreError>;

    /// The user with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_user(&self, id: i64) -> Result<User, StoreError>;

    /// The user with this login on this forge.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_user_by_login(&self, forge_id: i64, login: &str) -> Result<User, StoreError>;

    /// One page of users, ordered by login.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError>;

    /// Saves every field of the user with `user.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the user does not exist and
    /// [`StoreError::Conflict`] when the new `(forge_id, login)` is taken.
    async fn update_user(&self, user: &User) -> Result<(), StoreError>;

    /// Deletes the user and their repo permissions.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the user does not exist.
    async fn delete_user(&self, id: i64) -> Result<(), StoreError>;
}

/// Orgs (namespaces). Org permissions come from the forge and are not stored.
#[async_trait]
pub trait OrgStore: Send + Sync + 'static {
    /// Inserts an org and returns it with its new id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when `(forge_id, name)` is taken (case-insensitively).
    async fn create_org(&self, org: &Org) -> Result<Org, StoreError>;

    /// The org with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_org(&self, id: i64) -> Result<Org, StoreError>;

    /// The org with this name on this forge, compared case-insensitively.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_org_by_name(&self, forge_id: i64, name: &str) -> Result<Org, StoreError>;

    /// One page of orgs, ordered by id.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_orgs(&self, page: Page) -> Result<Vec<Org>, StoreError>;

    /// Saves every field of the org with `org.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the org does not exist and
    /// [`StoreError::Conflict`] when the new name is taken.
    async fn update_org(&self, org: &Org) -> Result<(), StoreError>;

    /// Deletes the org row (its repos are deleted by the caller, one by one).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the org does not exist.
    async fn delete_org(&self, id: i64) -> Result<(), StoreError>;
}

/// Users' permissions on repos, as synced from the forge.
#[async_trait]
pub trait PermStore: Send + Sync + 'static {
    /// Inserts or replaces the permission of `perm.user_id` on `perm.repo_id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the user or the repo does not exist.
    async fn set_perm(&self, perm: &Perm) -> Result<(), StoreError>;

    /// The permission of a user on a repo.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when none was stored.
    async fn get_perm(&self, user_id: i64, repo_id: i64) -> Result<Perm, StoreError>;

    /// A repo with the user's stored permission on it (`None` when none was stored), read
    /// together because nearly every repo route needs both.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo does not exist.
    async fn get_repo_with_perm(
        &self,
        repo_id: i64,
        user_id: i64,
    ) -> Result<(Repo, Option<Perm>), StoreError>;

    /// Every repo the user may push to or administer, with the permission, ordered by full name;
    /// inactive repos only when `inactive_too`. Unpaged, as upstream's `RepoList`: the user's
    /// repo list and feed need all of them, and paging them costs one sort per page.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_writable_repos(
        &self,
        user_id: i64,
        inactive_too: bool,
    ) -> Result<Vec<(Repo, Perm)>, StoreError>;
}
