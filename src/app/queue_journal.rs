//! The memory queue made restart-safe: every task it holds is also journaled in the store's
//! `tasks` table ([`TaskStore`]) from push until it ends (done, canceled or expired), so that a
//! server that crashed can push its unfinished workflows again at start-up
//! ([`crate::app::queue_recovery`]). Hand-out stays in memory and as fast as before; only
//! pushes and ends touch the database.
//!
//! Unlike upstream's persistent queue, a task stays journaled while an agent runs it: the lease
//! dies with the process, so after a crash the workflow is queued again rather than forgotten.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::status::Status;
use crate::domain::task::Task;
use crate::ports::queue::{Queue, QueueError, QueueInfo, WaitOutcome, Worker};
use crate::ports::store::{StoreError, TaskStore};

/// A queue whose tasks are journaled in a [`TaskStore`]; cheap to share behind an `Arc`.
pub struct JournaledQueue {
    queue: Arc<dyn Queue>,
    journal: Arc<dyn TaskStore>,
}

impl JournaledQueue {
    /// `queue` with its tasks journaled in `journal`.
    pub fn new(queue: Arc<dyn Queue>, journal: Arc<dyn TaskStore>) -> Self {
        Self { queue, journal }
    }

    /// Every journaled task, oldest pipeline first.
    ///
    /// # Errors
    /// Store failures.
    pub async fn journaled(&self) -> Result<Vec<Task>, QueueError> {
        self.journal.list_tasks().await.map_err(journal_error)
    }

    /// Pushes tasks that are journaled already into the queue (the recovery after a restart).
    ///
    /// # Errors
    /// As [`Queue::push`].
    pub async fn restore(&self, tasks: Vec<Task>) -> Result<(), QueueError> {
        self.queue.push(tasks).await
    }

    /// Removes a task from the journal; one that is not there is fine (it ended twice).
    ///
    /// # Errors
    /// Store failures.
    pub async fn forget(&self, task_id: &str) -> Result<(), QueueError> {
        match self.journal.delete_task(task_id).await {
            Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(e) => Err(journal_error(e)),
        }
    }

    /// Removes each of these tasks from the journal.
    async fn forget_tasks(&self, tasks: &[Task]) -> Result<(), QueueError> {
        for task in tasks {
            self.forget(&task.id).await?;
        }
        Ok(())
    }
}

/// A journal failure as a queue error, keeping "unavailable" apart.
fn journal_error(error: StoreError) -> QueueError {
    match error {
        StoreError::Unavailable { driver, message } => QueueError::Unavailable { backend: driver, message },
        StoreError::Conflict(_) | StoreError::NotFound(_) | StoreError::Unknown(_) => {
            QueueError::Unknown(anyhow::Error::new(error).context("task journal"))
        }
    }
}

#[async_trait]
impl Queue for JournaledQueue {
    async fn push(&self, tasks: Vec<Task>) -> Result<(), QueueError> {
        for (written, task) in tasks.iter().enumerate() {
            if let Err(error) = self.journal.insert_task(task).await {
                self.forget_tasks(&tasks[..written]).await?;
                return Err(match error {
                    StoreError::Conflict(_) => QueueError::Duplicate(task.id.clone()),
                    other => journal_error(other),
                });
            }
        }
        if let Err(error) = self.queue.push(tasks.clone()).await {
            self.forget_tasks(&tasks).await?;
            return Err(error);
        }
        Ok(())
    }

    async fn poll(&self, worker: &Worker) -> Result<Option<Task>, QueueError> {
        self.queue.poll(worker).await
    }

    async fn extend(&self, task_id: &str, agent_id: i64) -> Result<(), QueueError> {
        self.queue.extend(task_id, agent_id).await
    }

    async fn done(&self, task_id: &str, status: Status) -> Result<(), QueueError> {
        self.queue.done(task_id, status).await?;
        self.forget(task_id).await
    }

    async fn cancel(&self, task_ids: &[String]) -> Result<(), QueueError> {
        self.queue.cancel(task_ids).await?;
        for id in task_ids {
            self.forget(id).await?;
        }
        Ok(())
    }

    async fn wait(&self, task_id: &str) -> Result<WaitOutcome, QueueError> {
        self.queue.wait(task_id).await
    }

    async fn take_expired(&self) -> Result<Vec<Task>, QueueError> {
        let expired = self.queue.take_expired().await?;
        self.forget_tasks(&expired).await?;
        Ok(expired)
    }

    async fn info(&self) -> Result<QueueInfo, QueueError> {
        self.queue.info().await
    }

    async fn set_paused(&self, paused: bool) -> Result<(), QueueError> {
        self.queue.set_paused(paused).await
    }

    async fn kick(&self, agent_id: i64) -> Result<(), QueueError> {
        self.queue.kick(agent_id).await
    }
}
