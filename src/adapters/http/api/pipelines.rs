//! `/api/repos/{id}/pipelines` reads and `/api/pipelines`: a repo's pipelines with upstream's
//! filters, one pipeline with its workflow tree (by number or `latest`), the config files and
//! the metadata it was built with, and the server-wide list of unfinished pipelines.
//!
//! # Layout
//! - [`filter`] — the list query read into a store filter.
//! - [`lookup`] — pipeline and step lookups shared with the log handlers and streams.

mod filter;
pub(crate) mod lookup;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::users::every_page;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::feed::FeedDto;
use crate::adapters::http::dto::metadata::MetadataDto;
use crate::adapters::http::dto::pipeline::{ConfigDto, PipelineDto, WorkflowDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::app::version;
use crate::domain::metadata::{ServerFacts, pipeline_metadata};
use crate::domain::perm::Access;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::ports::store::{Page, PipelineFilter, StoreError};

use filter::FilterQuery;

/// Pipeline reads.
pub struct PipelinesApi {
    /// Shared state.
    pub state: AppState,
}

/// A pipeline number from the path; 400 when it is not one.
pub(crate) fn parse_number(number: &str) -> Result<i64, ApiError> {
    number.parse().map_err(|_| ApiError::bad_request(format!("invalid pipeline number '{number}'")))
}

impl PipelinesApi {
    /// The pipeline `number` of `repo`; an empty 404 when there is none.
    async fn pipeline(&self, repo: &Repo, number: i64) -> Result<Pipeline, ApiError> {
        lookup::pipeline(self.state.store.as_ref(), repo.id, number).await?.ok_or_else(ApiError::not_found)
    }

    /// The newest pipeline of `p`'s branch numbered below it.
    async fn previous(&self, repo: &Repo, p: &Pipeline) -> Result<Option<Pipeline>, StoreError> {
        let filter = PipelineFilter { branch: Some(p.branch.clone()), ..PipelineFilter::default() };
        for n in 1.. {
            let page =
                self.state.store.list_pipelines(repo.id, &filter, Page::new(n, Page::MAX_PER_PAGE)).await?;
            if let Some(prev) = page.iter().find(|q| q.number < p.number) {
                return Ok(Some(prev.clone()));
            }
            if page.len() < Page::MAX_PER_PAGE as usize {
                break;
            }
        }
        Ok(None)
    }

    /// The pipelines of one repo in `status`, every page.
    async fn in_status(&self, repo: &Repo, status: Status) -> Result<Vec<Pipeline>, StoreError> {
        let filter = PipelineFilter { status: Some(status), ..PipelineFilter::default() };
        every_page(|page| self.state.store.list_pipelines(repo.id, &filter, page)).await
    }
}

#[OpenApi(tag = "ApiTags::Pipelines")]
impl PipelinesApi {
    /// One page of a repo's pipelines, newest first, without their workflows. Filters:
    /// `before`/`after` (RFC 3339, exclusive, on the creation time), `branch`, `event` (comma
    /// list), `ref` (substring) and `status`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/repos/:repo_id/pipelines", method = "get", operation_id = "getPipelines")]
    async fn list(
        &self,
        caller: poem::web::Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
        before: Query<Option<String>>,
        after: Query<Option<String>>,
        branch: Query<Option<String>>,
        event: Query<Option<String>>,
        #[oai(name = "ref")] git_ref: Query<Option<String>>,
        status: Query<Option<String>>,
    ) -> poem::Result<Json<Vec<PipelineDto>>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        let query = FilterQuery {
            before: before.0,
            after: after.0,
            branch: branch.0,
            event: event.0,
            git_ref: git_ref.0,
            status: status.0,
        };
        let filter = query.parse()?;
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        let pipelines = self.state.store.list_pipelines(repo.id, &filter, page).await?;
        Ok(Json(pipelines.iter().map(PipelineDto::from).collect()))
    }

    /// One pipeline with its workflows and steps; `latest` is the newest push pipeline of
    /// `branch` (default: the repo's default branch).
    #[oai(path = "/repos/:repo_id/pipelines/:number", method = "get", operation_id = "getPipeline")]
    async fn get(
        &self,
        caller: poem::web::Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<String>,
        branch: Query<Option<String>>,
    ) -> poem::Result<Json<PipelineDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        let pipeline = if number.0 == "latest" {
            let branch = branch.0.filter(|b| !b.is_empty()).unwrap_or_else(|| repo.default_branch.clone());
            match self.state.store.latest_pipeline(repo.id, &branch).await {
                Err(StoreError::NotFound(_)) => return Err(ApiError::not_found().into()),
                other => other?,
            }
        } else {
            self.pipeline(&repo, parse_number(&number.0)?).await?
        };
        let trees = self.state.store.list_workflows(pipeline.id).await?;
        let mut dto = PipelineDto::from(&pipeline);
        dto.workflows = trees.iter().map(|t| WorkflowDto::new(&t.workflow, &t.steps)).collect();
        Ok(Json(dto))
    }

    /// The config files a pipeline was built from, by name.
    #[oai(
        path = "/repos/:repo_id/pipelines/:number/config",
        method = "get",
        operation_id = "getPipelineConfig"
    )]
    async fn config(
        &self,
        caller: poem::web::Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<Json<Vec<ConfigDto>>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        let pipeline = self.pipeline(&repo, number.0).await?;
        let configs = self.state.store.pipeline_configs(pipeline.id).await?;
        Ok(Json(configs.iter().map(ConfigDto::from).collect()))
    }

    /// The metadata a pipeline was built with (the `CI_*` facts), with the previous pipeline of
    /// its branch; needs push access, as upstream.
    #[oai(
        path = "/repos/:repo_id/pipelines/:number/metadata",
        method = "get",
        operation_id = "getPipelineMetadata"
    )]
    async fn metadata(
        &self,
        caller: poem::web::Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<Json<MetadataDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Push).await?;
        let pipeline = self.pipeline(&repo, number.0).await?;
        let prev = self.previous(&repo, &pipeline).await?;
        let forge = match self.state.store.get_forge(repo.forge_id).await {
            Ok(forge) => Some(forge),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let version = version::version();
        let server = ServerFacts { url: &self.state.host, version: &version };
        let metadata = pipeline_metadata(forge.as_ref(), &repo, &pipeline, prev.as_ref(), None, server);
        Ok(Json(MetadataDto::from(&metadata)))
    }

    /// Every pending and running pipeline of every repo, oldest first (server admins only).
    #[oai(path = "/pipelines", method = "get", operation_id = "getPipelineQueue")]
    async fn unfinished(&self, caller: poem::web::Data<&Caller>) -> poem::Result<Json<Vec<FeedDto>>> {
        guard::admin(&caller)?;
        let repos = every_page(|page| self.state.store.list_repos(false, page)).await?;
        let mut rows = Vec::new();
        for repo in &repos {
            for status in [Status::Pending, Status::Running] {
                rows.extend(self.in_status(repo, status).await?.into_iter().map(|p| (p, repo)));
            }
        }
        rows.sort_by_key(|(p, _)| (p.created, p.id));
        Ok(Json(rows.iter().map(|(p, repo)| FeedDto::new(repo, p)).collect()))
    }
}
