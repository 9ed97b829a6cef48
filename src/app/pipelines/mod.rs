//! Pipeline lifecycle use cases (engine.md §5): create (webhook, manual, cron, restart), start,
//! approve and decline, cancel, delete, and settling a pipeline's status from its workflows.
//!
//! # Layout
//! - [`settle`](settle()): the pipeline status follows its workflows (shared with the agent RPCs).

mod settle;

pub use settle::settle;
