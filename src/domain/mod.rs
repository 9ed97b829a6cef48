//! The domain: Nuthatch's aggregates and the rules that hold between them, in plain Rust.
//!
//! Nothing here knows about HTTP, SQL, queues or async runtimes; adapters translate to and from
//! these types, so the same rules hold whichever backend is plugged in.
//!
//! # Layout
//! - [`status`]: the status set of pipelines, workflows and steps, legal transitions and merging.
//! - [`event`]: the webhook events that trigger pipelines.
//! - [`user`], [`org`], [`perm`]: identities and what they may do.
//! - [`repo`]: repositories, their settings and rename redirections.
//! - [`pipeline`], [`workflow`]: a run and its tree of workflows and steps.
//! - [`config`], [`log`]: the configuration files a run used and the lines its steps printed.
//! - [`metadata`]: the facts a pipeline is built with, from the stored repo and pipelines.
//! - [`agent`], [`task`]: the machines that execute workflows and the queued units of work.
//! - [`secret`], [`registry`], [`cron`], [`forge`]: resources owned by repos, orgs or the server.
//! - [`setting`]: server-wide key-value settings (signing keys and the like).
//! - [`token`]: the signed tokens users, sessions and webhooks authenticate with.
//! - [`run_report`]: what an agent reports of a workflow it runs.
//! - [`step_status`]: how agents' reports move steps; [`mask`]: hiding secret values in logs.
//! - [`yaml`]: the pipeline language: parse, lint, `when`, matrix, workflows, compile.
//! - [`validation`]: the error type every `validate` in this module returns.

pub mod agent;
pub mod config;
pub mod cron;
pub mod event;
pub mod forge;
pub mod log;
pub mod mask;
pub mod metadata;
pub mod org;
pub mod perm;
pub mod pipeline;
pub mod registry;
pub mod repo;
pub mod run_report;
pub mod secret;
pub mod setting;
pub mod status;
pub mod step_status;
pub mod task;
pub mod token;
pub mod user;
pub mod validation;
pub mod workflow;
pub mod workload;
pub mod yaml;
