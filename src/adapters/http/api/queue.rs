//! `/api/queue` (server admins): a snapshot of the queue with each task's pipeline number and
//! agent name, pausing and resuming hand-out, and waiting until nothing runs.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::agent::TaskDto;
use crate::adapters::http::dto::queue::{QueueInfoDto, QueueStatsDto, QueueTaskDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::domain::task::Task;
use crate::ports::queue::QueueError;
use crate::ports::store::StoreError;

/// How often `norunningpipelines` looks at the queue again.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Queue administration.
pub struct QueueApi {
    /// Shared state.
    pub state: AppState,
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<QueueError> for poem::Error {
    fn from(e: QueueError) -> Self {
        ApiError::from(e).into()
    }
}

/// Pipeline numbers and agent names of the tasks in one snapshot, each looked up once.
#[derive(Default)]
struct Names {
    pipelines: HashMap<i64, i64>,
    agents: HashMap<i64, String>,
}

impl Names {
    /// The task with its pipeline's number and its agent's name; a pipeline or agent deleted
    /// meanwhile reads as 0 / "" rather than failing the whole snapshot.
    async fn describe(&mut self, state: &AppState, task: &Task) -> Result<QueueTaskDto, StoreError> {
        if let Entry::Vacant(slot) = self.pipelines.entry(task.pipeline_id) {
            let number = match state.store.get_pipeline(task.pipeline_id).await {
                Ok(p) => p.number,
                Err(StoreError::NotFound(_)) => 0,
                Err(e) => return Err(e),
            };
            slot.insert(number);
        }
        if task.agent_id != 0
            && let Entry::Vacant(slot) = self.agents.entry(task.agent_id)
        {
            let name = match state.store.get_agent(task.agent_id).await {
                Ok(a) => a.name,
                Err(StoreError::NotFound(_)) => String::new(),
                Err(e) => return Err(e),
            };
            slot.insert(name);
        }
        Ok(QueueTaskDto {
            task: TaskDto::from(task),
            pipeline_number: self.pipelines.get(&task.pipeline_id).copied().unwrap_or_default(),
            agent_name: self.agents.get(&task.agent_id).cloned().unwrap_or_default(),
        })
    }

    /// Every task of a list, described.
    async fn describe_all(
        &mut self,
        state: &AppState,
        tasks: &[Task],
    ) -> Result<Vec<QueueTaskDto>, StoreError> {
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(self.describe(state, task).await?);
        }
        Ok(out)
    }
}

#[OpenApi(tag = "ApiTags::Queue")]
impl QueueApi {
    /// The queue: pending, waiting and running tasks with their pipeline number and agent name,
    /// counters, and whether hand-out is paused.
    #[oai(path = "/queue/info", method = "get", operation_id = "getQueueInfo")]
    async fn info(&self, caller: Data<&Caller>) -> poem::Result<Json<QueueInfoDto>> {
        guard::admin(&caller)?;
        let info = self.state.engine.queue.info().await?;
        let mut names = Names::default();
        Ok(Json(QueueInfoDto {
            pending: names.describe_all(&self.state, &info.pending).await?,
            waiting_on_deps: names.describe_all(&self.state, &info.waiting_on_deps).await?,
            running: names.describe_all(&self.state, &info.running).await?,
            stats: QueueStatsDto::from(&info.stats),
            paused: info.paused,
        }))
    }

    /// Stops handing out tasks to agents; running work goes on.
    #[oai(path = "/queue/pause", method = "post", operation_id = "pauseQueue")]
    async fn pause(&self, caller: Data<&Caller>) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        self.state.engine.queue.set_paused(true).await?;
        Ok(NoContent::NoContent)
    }

    /// Hands out tasks again.
    #[oai(path = "/queue/resume", method = "post", operation_id = "resumeQueue")]
    async fn resume(&self, caller: Data<&Caller>) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        self.state.engine.queue.set_paused(false).await?;
        Ok(NoContent::NoContent)
    }

    /// Answers 204 once no task is running (it waits as long as that takes).
    #[oai(path = "/queue/norunningpipelines", method = "get", operation_id = "blockTilQueueHasRunningItem")]
    async fn no_running(&self, caller: Data<&Caller>) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        while self.state.engine.queue.info().await?.stats.running_count > 0 {
            tokio::time::sleep(IDLE_POLL).await;
        }
        Ok(NoContent::NoContent)
    }
}
