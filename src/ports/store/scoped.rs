//! Store ports of the resources scoped to a repo, an org or the whole server: secrets and
//! registry credentials. A [`Scope`] selects the rows whose `(org_id, repo_id)` are its ids.

use async_trait::async_trait;

use crate::domain::registry::Registry;
use crate::domain::secret::{Scope, Secret};
use crate::ports::store::{Page, StoreError};

/// Secrets.
#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Inserts a secret (scope taken from its `org_id`/`repo_id`) and returns it with its id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when its name is taken in its scope.
    async fn create_secret(&self, secret: &Secret) -> Result<Secret, StoreError>;

    /// The secret called `name` in `scope`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_secret(&self, scope: Scope, name: &str) -> Result<Secret, StoreError>;

    /// One page of the secrets of exactly `scope`, ordered by name.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_secrets(&self, scope: Scope, page: Page) -> Result<Vec<Secret>, StoreError>;

    /// Saves every field of the secret with `secret.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the secret does not exist and
    /// [`StoreError::Conflict`] when the new name is taken in its scope.
    async fn update_secret(&self, secret: &Secret) -> Result<(), StoreError>;

    /// Deletes the secret with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the secret does not exist.
    async fn delete_secret(&self, id: i64) -> Result<(), StoreError>;
}

/// Registry credentials.
#[async_trait]
pub trait RegistryStore: Send + Sync + 'static {
    /// Inserts a registry (scope taken from its `org_id`/`repo_id`) and returns it with its id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when its address is taken in its scope.
    async fn create_registry(&self, registry: &Registry) -> Result<Registry, StoreError>;

    /// The registry with `address` in `scope`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_registry(&self, scope: Scope, address: &str) -> Result<Registry, StoreError>;

    /// One page of the registries of exactly `scope`, ordered by id.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_registries(&self, scope: Scope, page: Page) -> Result<Vec<Registry>, StoreError>;

    /// Saves every field of the registry with `registry.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the registry does not exist and
    /// [`StoreError::Conflict`] when the new address is taken in its scope.
    async fn update_registry(&self, registry: &Registry) -> Result<(), StoreError>;

    /// Deletes the registry with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the registry does not exist.
    async fn delete_registry(&self, id: i64) -> Result<(), StoreError>;
}
