//! The store contract: behaviours every store adapter must show, each an `async fn` taking the
//! store, run unchanged against every backend by `tests/store.rs`.
//!
//! # Layout
//! - [`db`]: a fresh database per test, dropped afterwards.
//! - [`fixtures`]: builders of valid records.
//! - [`identity`], [`repo`], [`pipeline`], [`workflow`], [`resources`], [`server`]: the behaviours.
//! - [`sealing`]: credentials sealed at rest (behaviours taking the whole [`db::TestDb`]).

pub mod db;
pub mod fixtures;
pub mod identity;
pub mod pipeline;
pub mod repo;
pub mod resources;
pub mod sealing;
pub mod server;
pub mod workflow;
