//! The agent link port: the server as an agent sees it (engine.md §1.6). One value serves every
//! worker of the agent; it keeps the agent authenticated and rides out short outages itself, so
//! callers only see failures that retrying soon would not fix.

use std::collections::BTreeMap;

use async_trait::async_trait;

pub use crate::domain::agent::AgentInfo;
use crate::domain::run_report::{LogLine, Outcome, StepReport};

/// A workflow handed to the agent by `next`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// The workflow's id, used in every later call about it.
    pub id: String,
    /// Its timeout in minutes (0: the agent's default).
    pub timeout_minutes: i64,
    /// The workload, JSON (engine.md §2.2).
    pub payload: Vec<u8>,
}

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The server stayed unreachable (or kept refusing our credentials) for the whole retry
    /// budget.
    #[error("server unreachable: {0}")]
    Unavailable(String),
    /// The server refused the call for good (unknown workflow, finished workflow, bad token).
    #[error("server refused: {0}")]
    Rejected(String),
    /// The server speaks another protocol version.
    #[error("the server speaks agent protocol {server}, this agent {ours}")]
    Incompatible {
        /// The server's version.
        server: i32,
        /// Ours.
        ours: i32,
    },
}

/// The server.
#[async_trait]
pub trait AgentLink: Send + Sync + 'static {
    /// The agent's id at the server.
    fn agent_id(&self) -> i64;

    /// Tells the server what the agent is; returns the agent's id.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn register(&self, info: &AgentInfo) -> Result<i64, LinkError>;

    /// Removes the agent at the server (only agents without a stored id do this on exit).
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn unregister(&self) -> Result<(), LinkError>;

    /// Says the agent is alive.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn report_health(&self) -> Result<(), LinkError>;

    /// Waits for a workflow matching `labels`; `None` when the server ended the poll without
    /// work (the caller polls again).
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn next(&self, labels: &BTreeMap<String, String>) -> Result<Option<Assignment>, LinkError>;

    /// The workflow started.
    ///
    /// # Errors
    /// Any [`LinkError`]; a rejection means the agent must not run it.
    async fn init(&self, id: &str, state: &Outcome) -> Result<(), LinkError>;

    /// Waits until the workflow leaves the server's queue: `true` when it was canceled.
    ///
    /// # Errors
    /// Any [`LinkError`] (its lease expired: rejected).
    async fn wait(&self, id: &str) -> Result<bool, LinkError>;

    /// A step changed state.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn update(&self, id: &str, report: &StepReport) -> Result<(), LinkError>;

    /// A batch of output lines, of any steps. Sending a batch twice is harmless: the server
    /// keeps one copy of each step's line number.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn log(&self, lines: &[LogLine]) -> Result<(), LinkError>;

    /// Renews the workflow's lease.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn extend(&self, id: &str) -> Result<(), LinkError>;

    /// The workflow ended.
    ///
    /// # Errors
    /// Any [`LinkError`].
    async fn done(&self, id: &str, outcome: &Outcome) -> Result<(), LinkError>;
}
