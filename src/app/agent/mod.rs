//! The agent side: running workflows handed out by a server.
//!
//! # Layout
//! - [`runner`]: one workflow on a backend, transport-free; [`recorder`]: a reporter that
//!   keeps what a run reported, for tests.
//! - [`workflow`]: one handed-out workflow over the link: wait, extend, init, run, done.
//! - [`logs`]: batching log lines.
//! - [`service`]: register, health, the workers' long polls.
//! - [`config`]: `nuthatch agent`'s and the embedded agent's settings, and launching an agent.

pub mod config;
pub mod logs;
pub mod recorder;
pub mod runner;
pub mod service;
pub mod workflow;
