//! Store ports of the machines that run work (agents) and of the persisted queue (tasks).

use async_trait::async_trait;

use crate::domain::agent::Agent;
use crate::domain::task::Task;
use crate::ports::store::{Page, StoreError};

/// Agents.
#[async_trait]
pub trait AgentStore: Send + Sync + 'static {
    /// Inserts an agent and returns it with its new id.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when its token is taken.
    async fn create_agent(&self, agent: &Agent) -> Result<Agent, StoreError>;

    /// The agent with this id.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn get_agent(&self, id: i64) -> Result<Agent, StoreError>;

    /// The agent with this token.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when there is none.
    async fn find_agent_by_token(&self, token: &str) -> Result<Agent, StoreError>;

    /// One page of agents (only those of `org_id` when given), ordered by id.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_agents(&self, org_id: Option<i64>, page: Page) -> Result<Vec<Agent>, StoreError>;

    /// Saves every field of the agent with `agent.id`.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the agent does not exist and
    /// [`StoreError::Conflict`] when the new token is taken.
    async fn update_agent(&self, agent: &Agent) -> Result<(), StoreError>;

    /// Deletes the agent.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the agent does not exist.
    async fn delete_agent(&self, id: i64) -> Result<(), StoreError>;
}

/// The persisted queue, reloaded on start.
#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Stores a task.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`] when a task with its id is stored.
    async fn insert_task(&self, task: &Task) -> Result<(), StoreError>;

    /// Every stored task, oldest `created` first.
    ///
    /// # Errors
    /// Only backend failures.
    async fn list_tasks(&self) -> Result<Vec<Task>, StoreError>;

    /// Deletes a task.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when no task has this id.
    async fn delete_task(&self, id: &str) -> Result<(), StoreError>;
}
