//! Store ports of the tree under a pipeline (workflows and steps) and of the steps' log lines.

use async_trait::async_trait;

use crate::domain::log::LogEntry;
use crate::domain::workflow::{Step, Workflow};
use crate::ports::store::StoreError;

/// A workflow with its steps, as created and listed together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkflowTree {
    /// The workflow.
    pub workflow: Workflow,
    /// Its steps, ordered by pid.
    pub steps: Vec<Step>,
}

/// Workflows and steps.
#[async_trait]
pub trait WorkflowStore: Send + Sync + 'static {
    /// Inserts the workflows with their steps in one transaction and returns them with ids.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when a pid within the pipeline or a step uuid is
    /// taken, and [`StoreError::NotFound`] when the pipeline does not exist; nothing is stored then.
    async fn create_workflows(&self, trees: &[WorkflowTree]) -> Result<Vec<WorkflowTree>, StoreError>;

    /// The workflows of a pipeline with their steps, ordered by pid.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_workflows(&self, pipeline_id: i64) -> Result<Vec<WorkflowTree>, StoreError>;

    /// The workflow with this id (agents name workflows by id).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_workflow(&self, id: i64) -> Result<Workflow, StoreError>;

    /// Saves every field of the workflow with `workflow.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the workflow does not exist.
    async fn update_workflow(&self, workflow: &Workflow) -> Result<(), StoreError>;

    /// Deletes every workflow and step of a pipeline, with the steps' logs.
    ///
    /// # Errors
    /// Only backend failures.
    async fn delete_workflows(&self, pipeline_id: i64) -> Result<(), StoreError>;

    /// The step with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_step(&self, id: i64) -> Result<Step, StoreError>;

    /// The step with this uuid.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_step_by_uuid(&self, uuid: &str) -> Result<Step, StoreError>;

    /// Saves every field of the step with `step.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the step does not exist.
    async fn update_step(&self, step: &Step) -> Result<(), StoreError>;
}

/// Log lines of steps.
#[async_trait]
pub trait LogStore: Send + Sync + 'static {
    /// Stores a batch of lines (of one or more steps) in one transaction.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when a `(step_id, line)` is already stored and
    /// [`StoreError::NotFound`] when a step does not exist; nothing is stored then.
    async fn append_logs(&self, entries: &[LogEntry]) -> Result<(), StoreError>;

    /// Every line of a step, ordered by line number.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_logs(&self, step_id: i64) -> Result<Vec<LogEntry>, StoreError>;

    /// Deletes every line of a step.
    ///
    /// # Errors
    /// Only backend failures.
    async fn delete_logs(&self, step_id: i64) -> Result<(), StoreError>;
}
