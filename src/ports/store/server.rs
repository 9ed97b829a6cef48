//! Store ports of server-wide records: configured forges and key-value settings.

use async_trait::async_trait;

use crate::domain::forge::Forge;
use crate::ports::store::StoreError;

/// Configured forges.
#[async_trait]
pub trait ForgeStore: Send + Sync + 'static {
    /// Inserts a forge and returns it with its new id.
    ///
    /// # Errors
    /// Only backend failures.
    async fn create_forge(&self, forge: &Forge) -> Result<Forge, StoreError>;

    /// The forge with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_forge(&self, id: i64) -> Result<Forge, StoreError>;

    /// Every forge, ordered by id.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_forges(&self) -> Result<Vec<Forge>, StoreError>;

    /// Saves every field of the forge with `forge.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the forge does not exist.
    async fn update_forge(&self, forge: &Forge) -> Result<(), StoreError>;

    /// Deletes the forge with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the forge does not exist.
    async fn delete_forge(&self, id: i64) -> Result<(), StoreError>;
}

/// Server-wide settings shared by every server of a cluster.
#[async_trait]
pub trait SettingStore: Send + Sync + 'static {
    /// The value stored under `key`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the key was never set.
    async fn get_setting(&self, key: &str) -> Result<String, StoreError>;

    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// # Errors
    /// Only backend failures.
    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Stores `value` under `key` only if the key was never set, so servers starting at the same
    /// time agree on one value: the loser re-reads the winner's.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when the key is already set (its value is kept).
    async fn add_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
