//! Wire shapes of the API: Woodpecker 3.x JSON names, plus the seed's 2.x names as aliases where
//! they do not collide. Kept apart from the domain types, which know nothing of JSON.
//!
//! # Layout
//! - [`user`] — users.
//! - [`repo`] — repos and permissions.
//! - [`pipeline`] — pipelines, workflows and steps.
//! - [`org`] — orgs and org permissions.
//! - [`feed`] — feed rows and repos with their last pipeline.
//! - [`secret`] — secrets and secret patches.
//! - [`registry`] — registry credentials.
//! - [`cron`] — cron schedules.
//! - [`forge`] — forges.
//! - [`agent`] — agents and their tasks; [`queue`] — the queue snapshot.
//! - [`log`] — step log lines; [`metadata`] — the facts a pipeline was built with.

pub mod agent;
pub mod cron;
pub mod feed;
pub mod forge;
pub mod log;
pub mod metadata;
pub mod org;
pub mod pipeline;
pub mod queue;
pub mod registry;
pub mod repo;
pub mod secret;
pub mod user;

/// For `skip_serializing_if`: Go's `omitempty` on booleans.
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// For `skip_serializing_if`: Go's `omitempty` on numbers.
pub(crate) fn is_zero(n: &i64) -> bool {
    *n == 0
}
