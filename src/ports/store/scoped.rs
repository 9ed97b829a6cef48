//! Store ports of the resources scoped to a repo, an org or the whole server: secrets and
//! registry credentials. A [`Scope`] selects the rows whose `(org_id, repo_id)` are its ids.
//!
//! The credentials themselves (secret values, registry passwords) may be sealed at rest with a
//! [`SecretCipher`]: these traits always take and return plaintext, and
//! [`CredentialSealing`] rewrites the stored values when sealing is turned on or off.

use async_trait::async_trait;

use crate::domain::registry::Registry;
use crate::domain::secret::{Scope, Secret};
use crate::ports::cipher::SecretCipher;
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

/// How [`CredentialSealing::reseal_credentials`] rewrites the stored credentials.
pub struct Reseal<'a> {
    /// The cipher the values are sealed with now; `None`: they are plaintext.
    pub from: Option<&'a dyn SecretCipher>,
    /// The cipher to seal them with; `None`: store them as plaintext.
    pub to: Option<&'a dyn SecretCipher>,
    /// The server setting holding the key check value.
    pub key_check_setting: &'a str,
    /// The key check value the caller read (`None`: absent). The rewrite happens only while the
    /// setting still holds it, so of several servers starting at once exactly one seals.
    pub expected_check: Option<&'a str>,
    /// The new key check value; `None` deletes the setting.
    pub key_check: Option<String>,
}

/// Turning the sealing of credentials at rest on and off.
#[async_trait]
pub trait CredentialSealing: Send + Sync + 'static {
    /// Rewrites every secret value and registry password as [`Reseal`] says (each sealed value
    /// bound to its record's id) and sets or deletes the key check setting, all in one
    /// transaction. Returns how many values were rewritten.
    ///
    /// # Errors
    /// MUST return [`StoreError::Unknown`] naming the record when a value does not open with
    /// `from`, and [`StoreError::Conflict`] when the key check setting no longer holds
    /// `expected_check` (another server changed it first); nothing is changed then.
    async fn reseal_credentials(&self, reseal: Reseal<'_>) -> Result<u64, StoreError>;
}
