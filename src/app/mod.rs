//! The application: configuration, use cases and the wiring that picks adapters.
//!
//! # Layout
//! - [`cli`] — the `nuthatch` command line and its subcommands.
//! - [`config`], [`dotenv`]: settings from flags, the environment and `.env`.
//! - [`telemetry`] — logging.
//! - [`engine`] — the execution ports (queue, pub/sub, logs) shared by API, gRPC and schedulers;
//!   [`queue_journal`], [`queue_recovery`]: the memory queue journaled and recovered after a crash.
//! - [`events`] — pipeline events for live viewers.
//! - [`log_retention`] — the periodic sweep deleting logs `NUTHATCH_LOG_RETENTION` no longer keeps;
//!   [`step_logs`]: deleting the logs of a pipeline or a repo through the log storage port.
//! - [`pipelines`] — the pipeline lifecycle: create, start, approve, cancel, restart, settle;
//!   [`cron_scheduler`]: cron pipelines on schedule.
//! - [`store`] — choosing and opening the store adapter; [`bootstrap`]: first-start setup;
//!   [`encryption`]: credentials encrypted at rest.
//! - [`identity`], [`repos`], [`hook`]: use cases: login and tokens, repo activation, webhooks.
//! - [`agent_rpc`] — the agent protocol's use cases (served over gRPC by `adapters::grpc`).
//! - [`server`] — the server process; [`ping`]: its health check from outside.
//! - [`agent`] — the agent: `nuthatch agent` and the server's embedded agent.
//! - [`local_repo`] — `nuthatch local-repo`: creating repositories of the built-in forge.
//! - [`signing_key`] — the cluster's Ed25519 key for signing extension requests.
//! - [`profiling`] — CPU, heap and task profiles for `/api/debug/pprof`.
//! - [`version`] — the version reported to clients.

pub mod agent;
pub mod agent_rpc;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod cron_scheduler;
pub mod dotenv;
pub mod encryption;
pub mod engine;
pub mod events;
pub mod hook;
pub mod identity;
pub mod lint;
pub mod local_repo;
pub mod log_retention;
pub mod ping;
pub mod pipelines;
pub mod profiling;
pub mod queue_journal;
pub mod queue_recovery;
pub mod repos;
pub mod server;
pub mod signing_key;
pub mod step_logs;
pub mod store;
pub mod telemetry;
pub mod version;
