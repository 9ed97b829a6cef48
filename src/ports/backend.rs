//! The backend port: what runs a workflow's steps on an agent (upstream's backend engine):
//! the local machine, Docker, ... One value serves every workflow of the agent; workflows are
//! told apart by their task id.

use std::pin::Pin;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::domain::workload::{StepSpec, Workload};

/// A step's combined stdout and stderr, read until the step ends.
pub type Output = Pin<Box<dyn AsyncRead + Send>>;

/// How a step's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exit {
    /// Exit code (signals as 128 + n, as shells report them).
    pub code: i32,
    /// Killed for using too much memory.
    pub oom_killed: bool,
}

/// What can go wrong running steps.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The step could not be started (missing executable, image pull failed, ...).
    #[error("cannot start step {step}: {message}")]
    Start {
        /// Step name.
        step: String,
        /// The cause, in one line.
        message: String,
    },
    /// The backend itself is not usable (daemon down, workspace not writable).
    #[error("{backend}: {message}")]
    Unavailable {
        /// Which backend.
        backend: &'static str,
        /// The cause, in one line.
        message: String,
    },
    /// Anything else; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A step runner.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Its name as agents report it (`local`, `docker`).
    fn name(&self) -> &'static str;

    /// The platform it runs steps on (`linux/amd64`).
    fn platform(&self) -> String;

    /// Prepares what the workflow's steps share (workspace, network, volume).
    ///
    /// # Errors
    /// [`BackendError::Unavailable`] when that cannot be created.
    async fn setup_workflow(&self, task_id: &str, workload: &Workload) -> Result<(), BackendError>;

    /// Starts a step and returns its output stream.
    ///
    /// # Errors
    /// [`BackendError::Start`] when the step cannot be started.
    async fn start_step(&self, task_id: &str, step: &StepSpec) -> Result<Output, BackendError>;

    /// Waits for a started step to end.
    ///
    /// # Errors
    /// Only backend failures.
    async fn wait_step(&self, task_id: &str, step: &StepSpec) -> Result<Exit, BackendError>;

    /// Stops a step (and everything it started) if it still runs.
    ///
    /// # Errors
    /// Only backend failures.
    async fn destroy_step(&self, task_id: &str, step: &StepSpec) -> Result<(), BackendError>;

    /// Stops what is left of the workflow and removes what it created.
    ///
    /// # Errors
    /// Only backend failures.
    async fn destroy_workflow(&self, task_id: &str, workload: &Workload) -> Result<(), BackendError>;
}
