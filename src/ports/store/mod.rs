//! The store port: persistence of every aggregate, one small trait per aggregate, combined in
//! the [`Store`] supertrait that adapters implement.
//!
//! Implementations must be safe to share between tasks (`Send + Sync + 'static`): the server holds
//! one store behind an `Arc` and calls it from every request concurrently. Every method is one
//! unit of work: dropping its future before completion leaves the store as it was or with the
//! whole change applied, never half of it.
//!
//! # Layout
//! - [`error`](StoreError): the typed errors every method returns.
//! - [`page`](Page): pagination with upstream's limits; [`every_page`] reads a whole listing.
//! - identity: [`UserStore`], [`OrgStore`], [`PermStore`].
//! - repo: [`RepoStore`] (with redirections).
//! - pipeline: [`PipelineStore`], [`ConfigStore`], [`LogRetentionStore`].
//! - workflow: [`WorkflowStore`] (workflows and steps), [`LogStore`].
//! - queue: [`AgentStore`], [`TaskStore`].
//! - scoped: [`SecretStore`], [`RegistryStore`], [`CredentialSealing`].
//! - cron: [`CronStore`].
//! - server: [`ForgeStore`], [`SettingStore`].

mod cron;
mod error;
mod identity;
mod page;
mod pipeline;
mod queue;
mod repo;
mod scoped;
mod server;
mod workflow;

pub use cron::CronStore;
pub use error::StoreError;
pub use identity::{OrgStore, PermStore, UserStore};
pub use page::{Page, every_page};
pub use pipeline::{ConfigStore, LogRetentionStore, PipelineFilter, PipelineStore};
pub use queue::{AgentStore, TaskStore};
pub use repo::RepoStore;
pub use scoped::{CredentialSealing, RegistryStore, Reseal, SecretStore};
pub use server::{ForgeStore, SettingStore};
pub use workflow::{LogStore, WorkflowStore, WorkflowTree};

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
pub trait Store:
    HealthStore
    + UserStore
    + OrgStore
    + PermStore
    + RepoStore
    + PipelineStore
    + ConfigStore
    + LogRetentionStore
    + WorkflowStore
    + LogStore
    + AgentStore
    + TaskStore
    + SecretStore
    + RegistryStore
    + CredentialSealing
    + CronStore
    + ForgeStore
    + SettingStore
{
}

impl<T> Store for T where
    T: HealthStore
        + UserStore
        + OrgStore
        + PermStore
        + RepoStore
        + PipelineStore
        + ConfigStore
        + LogRetentionStore
        + WorkflowStore
        + LogStore
        + AgentStore
        + TaskStore
        + SecretStore
        + RegistryStore
        + CredentialSealing
        + CronStore
        + ForgeStore
        + SettingStore
{
}
