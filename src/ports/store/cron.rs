//! Store port of cron schedules, including the due query and the optimistic claim that lets
//! several servers share one database without running a cron twice.

use async_trait::async_trait;

use crate::domain::cron::Cron;
use crate::ports::store::{Page, StoreError};

/// Cron schedules.
#[async_trait]
pub trait CronStore: Send + Sync + 'static {
    /// Inserts a cron and returns it with its new id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when its name is taken in the repo and
    /// [`StoreError::NotFound`] when the repo does not exist.
    async fn create_cron(&self, cron: &Cron) -> Result<Cron, StoreError>;

    /// The cron with this id of this repo.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo has no such cron.
    async fn get_cron(&self, repo_id: i64, id: i64) -> Result<Cron, StoreError>;

    /// One page of a repo's crons, ordered by name.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_crons(&self, repo_id: i64, page: Page) -> Result<Vec<Cron>, StoreError>;

    /// Saves every field of the cron with `cron.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the cron does not exist and
    /// [`StoreError::Conflict`] when the new name is taken in the repo.
    async fn update_cron(&self, cron: &Cron) -> Result<(), StoreError>;

    /// Deletes the cron with this id of this repo.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the repo has no such cron.
    async fn delete_cron(&self, repo_id: i64, id: i64) -> Result<(), StoreError>;

    /// Up to `limit` enabled crons of active repos with `next_exec <= now`, earliest first.
    ///
    /// # Errors
    /// Only backend failures.
    async fn due_crons(&self, now: i64, limit: i64) -> Result<Vec<Cron>, StoreError>;

    /// Moves the cron's `next_exec` from `seen` to `next` only if it still is `seen`; returns
    /// whether this caller won the claim (exactly one of several concurrent claimers does).
    ///
    /// # Errors
    /// Only backend failures.
    async fn claim_cron(&self, id: i64, seen: i64, next: i64) -> Result<bool, StoreError>;
}
