//! Filesystem adapters: data kept in plain files under a configured directory.
//!
//! # Layout
//! - [`log`]: step logs as JSON-lines files (`WOODPECKER_LOG_STORE=file`).

pub mod log;
