//! `/api/repos/{id}/logs`: the stored lines of a step (whole, a page, or the last lines, so a
//! client need not pull a long log at once), the raw log as a download, and deleting the logs
//! of a step or of a whole pipeline once it has finished.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::pipelines::lookup;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::log::LogEntryDto;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::domain::log::LogEntry;
use crate::domain::perm::Access;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::workflow::Step;
use crate::ports::logs::{LogStorage, LogStorageError};

/// Lines read from the log storage per call when a whole log is read.
const CHUNK: usize = 5000;

/// Step log operations.
pub struct LogsApi {
    /// Shared state.
    pub state: AppState,
}

/// The raw log of a step.
#[derive(ApiResponse)]
pub enum LogDownload {
    /// The lines' bytes joined by newlines, as an attachment named
    /// `<owner>-<name>-<number>-<step>.log`.
    #[oai(status = 200, content_type = "text/plain; charset=utf-8")]
    Log(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

impl From<LogStorageError> for ApiError {
    fn from(e: LogStorageError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<LogStorageError> for poem::Error {
    fn from(e: LogStorageError) -> Self {
        ApiError::from(e).into()
    }
}

/// Up to `limit` lines (all when `None`) of a step from line `from`, read in chunks.
async fn read_lines(
    logs: &dyn LogStorage,
    step_id: i64,
    from: i32,
    limit: Option<usize>,
) -> Result<Vec<LogEntry>, LogStorageError> {
    let mut lines: Vec<LogEntry> = Vec::new();
    let mut next = from;
    loop {
        let want = limit.map_or(CHUNK, |l| (l - lines.len()).min(CHUNK));
        if want == 0 {
            break;
        }
        let chunk = logs.read(step_id, next, want).await?;
        let done = chunk.len() < want;
        if let Some(last) = chunk.last() {
            next = last.line.saturating_add(1);
        }
        lines.extend(chunk);
        if done {
            break;
        }
    }
    Ok(lines)
}

/// Characters not allowed in a download's file name become `-` (upstream's rule).
fn file_name_part(s: &str) -> String {
    s.chars().map(|c| if c.is_control() || "<>:\"/\\|?*".contains(c) { '-' } else { c }).collect()
}

impl LogsApi {
    /// The repo (with `access`), the pipeline and the step a log path names; an empty 404 for
    /// an unknown pipeline or a step that is not part of it.
    async fn step(
        &self,
        caller: &Caller,
        repo_id: i64,
        number: i64,
        step_id: i64,
        access: Access,
    ) -> Result<(Repo, Pipeline, Step), ApiError> {
        let (repo, pipeline) = self.pipeline(caller, repo_id, number, access).await?;
        let store = self.state.store.as_ref();
        let step = lookup::step(store, &pipeline, step_id).await?.ok_or_else(ApiError::not_found)?;
        Ok((repo, pipeline, step))
    }

    /// The repo (with `access`) and its pipeline `number`.
    async fn pipeline(
        &self,
        caller: &Caller,
        repo_id: i64,
        number: i64,
        access: Access,
    ) -> Result<(Repo, Pipeline), ApiError> {
        let (repo, _) = guard::repo(&self.state, caller, repo_id, access).await?;
        let store = self.state.store.as_ref();
        let pipeline = lookup::pipeline(store, repo.id, number).await?.ok_or_else(ApiError::not_found)?;
        Ok((repo, pipeline))
    }
}

#[OpenApi(tag = "ApiTags::Logs")]
impl LogsApi {
    /// The stored lines of a step, ordered by line number, each with its bytes in base64.
    ///
    /// Without paging parameters the whole log is returned, as upstream does. To read a long
    /// log in parts: `offset=N` starts at line number N (lines count from 0) and `limit=M`
    /// returns at most M lines; `tail=N` returns the last N lines (and ignores `offset`).
    #[oai(path = "/repos/:repo_id/logs/:number/:step_id", method = "get", operation_id = "getStepLogs")]
    #[allow(clippy::too_many_arguments)]
    async fn get(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
        step_id: Path<i64>,
        /// First line number to return (default 0).
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// Most lines to return (default: all).
        #[oai(validator(minimum(value = "0")))]
        limit: Query<Option<i64>>,
        /// Return only the last this many lines.
        #[oai(validator(minimum(value = "0")))]
        tail: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<LogEntryDto>>> {
        let (_, _, step) = self.step(&caller, repo_id.0, number.0, step_id.0, Access::Pull).await?;
        let logs = self.state.engine.logs.as_ref();
        let from = match tail.0 {
            Some(n) => {
                let count = logs.line_count(step.id).await?;
                i32::try_from(count.saturating_sub(n).max(0)).unwrap_or(i32::MAX)
            }
            None => i32::try_from(offset.0.unwrap_or(0)).unwrap_or(i32::MAX),
        };
        let limit = limit.0.or(tail.0).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let lines = read_lines(logs, step.id, from, limit).await?;
        Ok(Json(lines.iter().map(LogEntryDto::from).collect()))
    }

    /// The raw log of a step as a text file: the lines' bytes joined by newlines.
    #[oai(
        path = "/repos/:repo_id/logs/:number/:step_id/download",
        method = "get",
        operation_id = "downloadStepLogs"
    )]
    async fn download(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
        step_id: Path<i64>,
    ) -> poem::Result<LogDownload> {
        let (repo, pipeline, step) = self.step(&caller, repo_id.0, number.0, step_id.0, Access::Pull).await?;
        let lines = read_lines(self.state.engine.logs.as_ref(), step.id, 0, None).await?;
        let body = lines.iter().map(|l| l.data.as_slice()).collect::<Vec<_>>().join(&b'\n');
        let name = format!("{}-{}-{}-{}.log", repo.owner, repo.name, pipeline.number, step.name);
        let disposition = format!("attachment; filename=\"{}\"", file_name_part(&name));
        Ok(LogDownload::Log(Binary(body), disposition))
    }

    /// Deletes the stored log of a finished step (not while it is pending or running).
    #[oai(path = "/repos/:repo_id/logs/:number/:step_id", method = "delete", operation_id = "deleteStepLogs")]
    async fn delete_step(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
        step_id: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (_, _, step) = self.step(&caller, repo_id.0, number.0, step_id.0, Access::Push).await?;
        if matches!(step.state, Status::Pending | Status::Running) {
            let text = "Cannot delete logs for a pending or running step";
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, text).into());
        }
        self.state.engine.logs.delete(step.id).await?;
        Ok(NoContent::NoContent)
    }

    /// Deletes the stored logs of every step of a finished pipeline (not while it is created,
    /// pending, running or blocked).
    #[oai(path = "/repos/:repo_id/logs/:number", method = "delete", operation_id = "deletePipelineLogs")]
    async fn delete_pipeline(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (_, pipeline) = self.pipeline(&caller, repo_id.0, number.0, Access::Push).await?;
        if pipeline.status.is_active() {
            let text = "Cannot delete logs for a pending or running pipeline";
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, text).into());
        }
        for tree in self.state.store.list_workflows(pipeline.id).await? {
            for step in tree.steps {
                self.state.engine.logs.delete(step.id).await?;
            }
        }
        Ok(NoContent::NoContent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_path_and_control_characters() {
        assert_eq!(file_name_part("acme-app-3-build/test:unit?.log"), "acme-app-3-build-test-unit-.log");
        assert_eq!(file_name_part("a\tb\u{7f}c.log"), "a-b-c.log");
    }
}
