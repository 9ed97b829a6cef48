//! The store port: persistence of every aggregate, one small trait per aggregate, combined in
//! the [`Store`] supertrait that adapters implement.
//!
//! Implementations must be safe to share between tasks (`Send + Sync + 'static`): the server holds
//! one store behind an `Arc` and calls it from every request concurrently.

mod error;

pub use error::StoreError;

/// Liveness of the store.
#[async_trait::async_trait]
pub trait HealthStore: Send + Sync + 'static {
    /// Checks that the backend answers a trivial query.
    ///
    /// # Errors
    /// MUST return [`StoreError::Unavailable`] when the backend cannot be reached.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Everything a server needs from its store.
pub trait Store: HealthStore {}

impl<T: HealthStore> Store for T {}
