//! The queue port: workflows waiting for an agent, handed out by label matching, leased while
//! they run, with dependencies between the workflows of one pipeline (engine.md §3).
//!
//! Semantics every adapter shares (checked by `tests/queue.rs`):
//! - FIFO by push order among the tasks an agent can take; a task becomes ready when none of its
//!   dependencies is still pending or running in the queue.
//! - Hand-out picks, for a ready task, the waiting worker with the best label score
//!   ([`crate::domain::task::match_labels`]); a task no waiting worker matches stays queued.
//! - A handed-out task is leased to the agent for [`LEASE_SECS`]; [`Queue::extend`] renews it.
//! - When a task ends ([`Queue::done`], [`Queue::cancel`], lease expiry) every queued task that
//!   depends on it records the outcome in `dep_status` (done: the given status; cancel: `killed`;
//!   expiry: `failure`). Whether a dependent then runs is the caller's decision (`should_run`)
//!   at hand-out.
//! - Lease expiry: the task leaves the queue for good (it is NOT re-queued: its steps may have had
//!   effects, and a second run could repeat a deployment). [`Queue::take_expired`] hands each
//!   expired task to exactly one caller, which finalises the workflow as `failure`; `wait` on it
//!   returns [`WaitOutcome::Expired`].
//! - Paused: nothing is handed out and no lease expires; pushes and polls go on.
//! - Several servers may share one Redis or SQL queue: every operation is atomic across them.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::status::Status;
use crate::domain::task::Task;

/// How long a handed-out task stays leased without [`Queue::extend`] (upstream: 60 s).
pub const LEASE_SECS: i64 = 60;

/// The lease as a duration.
pub const LEASE: Duration = Duration::from_secs(LEASE_SECS as u64);

/// An agent's long-poll: who asks and which labels it offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Worker {
    /// The agent's id.
    pub agent_id: i64,
    /// The agent's filter labels (`!key` = required), with `org-id` already set by the server.
    pub labels: BTreeMap<String, String>,
}

/// How a [`Queue::wait`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The task finished, or is not (any more) known to the queue.
    Finished,
    /// The task was canceled.
    Canceled,
    /// Its lease expired.
    Expired,
}

/// Counters of [`QueueInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Polls blocked waiting for work.
    pub worker_count: usize,
    /// Tasks ready to be handed out.
    pub pending_count: usize,
    /// Tasks waiting for a dependency.
    pub waiting_on_deps_count: usize,
    /// Tasks handed out and leased.
    pub running_count: usize,
}

/// A snapshot of the queue (REST `/api/queue/info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueInfo {
    /// Ready tasks in hand-out order.
    pub pending: Vec<Task>,
    /// Tasks waiting for a dependency.
    pub waiting_on_deps: Vec<Task>,
    /// Leased tasks (their `agent_id` set).
    pub running: Vec<Task>,
    /// Counters.
    pub stats: QueueStats,
    /// Whether hand-out is paused.
    pub paused: bool,
}

/// What can go wrong with the queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No running task has this id.
    #[error("queue: task not found")]
    NotFound,
    /// The running task is leased to another agent.
    #[error("task assigned to different agent")]
    WrongAgent,
    /// A pushed task's id is already queued.
    #[error("queue: task {0} already queued")]
    Duplicate(String),
    /// The backend cannot be reached.
    #[error("{backend}: {message}")]
    Unavailable {
        /// Which backend (`redis`, `postgres`, ...).
        backend: &'static str,
        /// The cause, in one line.
        message: String,
    },
    /// Anything else; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The queue.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Adds tasks at the end, in order (one pipeline's workflows are pushed together).
    ///
    /// # Errors
    /// MUST return [`QueueError::Duplicate`] (and push none) when an id is already queued.
    async fn push(&self, tasks: Vec<Task>) -> Result<(), QueueError>;

    /// Waits until a ready task matches the worker, leases it to the worker's agent (setting
    /// `agent_id`) and returns it; `None` when [`Queue::kick`] ended the poll.
    ///
    /// Cancel-safe: dropping the future before it completes loses no task.
    ///
    /// # Errors
    /// Only backend failures.
    async fn poll(&self, worker: &Worker) -> Result<Option<Task>, QueueError>;

    /// Renews the lease of a running task for another [`LEASE_SECS`].
    ///
    /// # Errors
    /// MUST return [`QueueError::NotFound`] when the task is not running and
    /// [`QueueError::WrongAgent`] when another agent holds it.
    async fn extend(&self, task_id: &str, agent_id: i64) -> Result<(), QueueError>;

    /// Removes a running or queued task as finished with `status`; dependents record it.
    /// Unknown ids are ignored (an agent may report twice).
    ///
    /// # Errors
    /// Only backend failures.
    async fn done(&self, task_id: &str, status: Status) -> Result<(), QueueError>;

    /// Removes queued and running tasks as canceled: their waiters see
    /// [`WaitOutcome::Canceled`], their dependents record `killed`. Unknown ids are ignored.
    ///
    /// # Errors
    /// Only backend failures.
    async fn cancel(&self, task_ids: &[String]) -> Result<(), QueueError>;

    /// Waits until the task leaves the running set; returns at once with
    /// [`WaitOutcome::Finished`] when it is not running.
    ///
    /// # Errors
    /// Only backend failures.
    async fn wait(&self, task_id: &str) -> Result<WaitOutcome, QueueError>;

    /// Removes every running task whose lease has expired (unless paused) and returns them;
    /// each expired task is returned to exactly one caller, also across servers.
    ///
    /// # Errors
    /// Only backend failures.
    async fn take_expired(&self) -> Result<Vec<Task>, QueueError>;

    /// A snapshot of the queue.
    ///
    /// # Errors
    /// Only backend failures.
    async fn info(&self) -> Result<QueueInfo, QueueError>;

    /// Stops (`true`) or resumes (`false`) hand-out.
    ///
    /// # Errors
    /// Only backend failures.
    async fn set_paused(&self, paused: bool) -> Result<(), QueueError>;

    /// Ends the blocked polls of this agent with `None` (agent deleted or set `no_schedule`).
    ///
    /// # Errors
    /// Only backend failures.
    async fn kick(&self, agent_id: i64) -> Result<(), QueueError>;
}
