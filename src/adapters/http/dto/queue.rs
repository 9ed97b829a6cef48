//! The `QueueInfo` wire shape (api.md §3.11, engine.md §3.4): the queue's tasks, each with the
//! number of its pipeline and the name of the agent running it, and the queue's counters.

use poem_openapi::Object;

use crate::adapters::http::dto::agent::TaskDto;
use crate::ports::queue::QueueStats;

/// A task as the queue snapshot shows it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "QueueTask")]
pub struct QueueTaskDto {
    /// The task's fields.
    #[oai(flatten)]
    pub task: TaskDto,
    /// Number of the task's pipeline within its repo (0 when the pipeline is gone).
    pub pipeline_number: i64,
    /// Name of the agent running it ("" while queued).
    pub agent_name: String,
}

/// The queue's counters.
#[derive(Debug, Clone, Object)]
#[oai(rename = "QueueStats")]
pub struct QueueStatsDto {
    /// Agent polls waiting for work.
    pub worker_count: usize,
    /// Tasks ready to be handed out.
    pub pending_count: usize,
    /// Tasks waiting for a dependency.
    pub waiting_on_deps_count: usize,
    /// Tasks running on agents.
    pub running_count: usize,
}

impl From<&QueueStats> for QueueStatsDto {
    fn from(s: &QueueStats) -> Self {
        Self {
            worker_count: s.worker_count,
            pending_count: s.pending_count,
            waiting_on_deps_count: s.waiting_on_deps_count,
            running_count: s.running_count,
        }
    }
}

/// A snapshot of the queue.
#[derive(Debug, Clone, Object)]
#[oai(rename = "QueueInfo")]
pub struct QueueInfoDto {
    /// Ready tasks in hand-out order.
    pub pending: Vec<QueueTaskDto>,
    /// Tasks waiting for a dependency.
    pub waiting_on_deps: Vec<QueueTaskDto>,
    /// Tasks running on agents.
    pub running: Vec<QueueTaskDto>,
    /// Counters.
    pub stats: QueueStatsDto,
    /// Whether hand-out is paused.
    pub paused: bool,
}
