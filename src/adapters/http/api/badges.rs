//! `/api/badges`: a repo's status badge (SVG) and CCTray document. Public, even for private
//! repos, as upstream (api.md §6 quirk 3).
//!
//! # Layout
//! - [`svg`]: drawing the badge.
//! - [`cctray`]: writing `cc.xml`.

pub mod cctray;
pub mod svg;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::error::ApiError;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::{self, Status};
use crate::ports::store::{Page, PipelineFilter, StoreError};

/// Operations on badges.
pub struct BadgesApi {
    /// Shared state.
    pub state: AppState,
}

/// A status badge.
#[derive(ApiResponse)]
pub enum SvgBadge {
    /// The badge.
    #[oai(status = 200, content_type = "image/svg+xml")]
    Svg(PlainText<String>),
}

/// A CCTray document.
#[derive(ApiResponse)]
pub enum CcTray {
    /// The document.
    #[oai(status = 200, content_type = "application/xml; charset=utf-8")]
    Xml(PlainText<String>),
}

/// What a status badge shows: which pipelines count, and optionally one workflow or step.
struct BadgeQuery {
    branch: Option<String>,
    events: Option<String>,
    workflow: Option<String>,
    step: Option<String>,
}

impl BadgesApi {
    /// A repo by id, 404 (empty) when unknown.
    async fn repo_by_id(&self, id: i64) -> Result<Repo, ApiError> {
        self.state.store.get_repo(id).await.map_err(not_found)
    }

    /// A repo by `owner/name`, 404 (empty) when unknown.
    async fn repo_by_name(&self, owner: &str, name: &str) -> Result<Repo, ApiError> {
        self.state.store.find_repo_by_full_name(&format!("{owner}/{name}")).await.map_err(not_found)
    }

    /// The badge of `repo`: label and status of the newest pipeline on the branch (default: the
    /// repo's) whose event is listed (default: push) and which is not blocked, or of the named
    /// workflow or step in it.
    async fn badge(&self, repo: &Repo, query: BadgeQuery) -> poem::Result<SvgBadge> {
        let events = query.events.as_deref().unwrap_or("push");
        let events = events
            .split(',')
            .map(|e| e.trim().parse().map_err(|_| ApiError::bad_request(format!("invalid event '{e}'"))))
            .collect::<Result<_, _>>()?;
        let branch = query.branch.filter(|b| !b.is_empty()).unwrap_or_else(|| repo.default_branch.clone());
        let filter = PipelineFilter { branch: Some(branch), events, ..PipelineFilter::default() };
        let pipeline = self.newest(repo.id, &filter, |p| p.status != Status::Blocked).await?;
        let (label, status) = match (&query.workflow, pipeline) {
            (None, pipeline) => ("pipeline".to_owned(), pipeline.map(|p| p.status)),
            (Some(workflow), None) => (label(workflow, query.step.as_deref()), None),
            (Some(workflow), Some(p)) => {
                let status = self.part_status(&p, workflow, query.step.as_deref()).await?;
                (label(workflow, query.step.as_deref()), status)
            }
        };
        Ok(SvgBadge::Svg(PlainText(svg::render(&label, status))))
    }

    /// The newest pipeline matching `filter` and `keep`, paging until one is found.
    async fn newest(
        &self,
        repo_id: i64,
        filter: &PipelineFilter,
        keep: impl Fn(&Pipeline) -> bool,
    ) -> Result<Option<Pipeline>, ApiError> {
        for n in 1.. {
            let rows =
                self.state.store.list_pipelines(repo_id, filter, Page::new(n, Page::MAX_PER_PAGE)).await?;
            let last = rows.len() < Page::MAX_PER_PAGE as usize;
            if let Some(p) = rows.into_iter().find(&keep) {
                return Ok(Some(p));
            }
            if last {
                break;
            }
        }
        Ok(None)
    }

    /// The merged status of the pipeline's workflows named `workflow` (or of their steps named
    /// `step`); `None` when there are none.
    async fn part_status(
        &self,
        p: &Pipeline,
        workflow: &str,
        step: Option<&str>,
    ) -> Result<Option<Status>, ApiError> {
        let trees = self.state.store.list_workflows(p.id).await?;
        let trees = trees.iter().filter(|t| t.workflow.name == workflow);
        let states: Vec<Status> = match step {
            None => trees.map(|t| t.workflow.state).collect(),
            Some(step) => trees.flat_map(|t| &t.steps).filter(|s| s.name == step).map(|s| s.state).collect(),
        };
        Ok((!states.is_empty()).then(|| status::merge_all(states)))
    }

    /// The CCTray document of `repo`'s newest pipeline of any event and branch; 404 without one.
    async fn cc(&self, repo: &Repo) -> poem::Result<CcTray> {
        let pipeline = self.newest(repo.id, &PipelineFilter::default(), |_| true).await?;
        let pipeline = pipeline.ok_or_else(ApiError::not_found)?;
        let url = format!(
            "{}/repos/{}/pipeline/{}",
            self.state.host.trim_end_matches('/'),
            repo.id,
            pipeline.number
        );
        Ok(CcTray::Xml(PlainText(cctray::render(repo, &pipeline, &url))))
    }
}

/// The badge label for a workflow (and step).
fn label(workflow: &str, step: Option<&str>) -> String {
    match step {
        Some(step) => format!("{workflow}: {step}"),
        None => workflow.to_owned(),
    }
}

/// Unknown repos are an empty 404 on these public routes.
fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(_) => ApiError::not_found(),
        e => e.into(),
    }
}

#[OpenApi(tag = "ApiTags::Badges")]
impl BadgesApi {
    /// The status badge of a repo.
    #[oai(path = "/badges/:repo_id/status.svg", method = "get", operation_id = "getBadge")]
    async fn status_svg(
        &self,
        repo_id: Path<i64>,
        branch: Query<Option<String>>,
        events: Query<Option<String>>,
        workflow: Query<Option<String>>,
        step: Query<Option<String>>,
    ) -> poem::Result<SvgBadge> {
        let repo = self.repo_by_id(repo_id.0).await?;
        self.badge(
            &repo,
            BadgeQuery { branch: branch.0, events: events.0, workflow: workflow.0, step: step.0 },
        )
        .await
    }

    /// The status badge of a repo, by full name.
    #[oai(path = "/badges/:owner/:name/status.svg", method = "get", operation_id = "getBadgeByName")]
    async fn status_svg_by_name(
        &self,
        owner: Path<String>,
        name: Path<String>,
        branch: Query<Option<String>>,
        events: Query<Option<String>>,
        workflow: Query<Option<String>>,
        step: Query<Option<String>>,
    ) -> poem::Result<SvgBadge> {
        let repo = self.repo_by_name(&owner.0, &name.0).await?;
        self.badge(
            &repo,
            BadgeQuery { branch: branch.0, events: events.0, workflow: workflow.0, step: step.0 },
        )
        .await
    }

    /// The CCTray document of a repo's newest pipeline.
    #[oai(path = "/badges/:repo_id/cc.xml", method = "get", operation_id = "getCC")]
    async fn cc_xml(&self, repo_id: Path<i64>) -> poem::Result<CcTray> {
        let repo = self.repo_by_id(repo_id.0).await?;
        self.cc(&repo).await
    }

    /// The CCTray document of a repo's newest pipeline, by full name.
    #[oai(path = "/badges/:owner/:name/cc.xml", method = "get", operation_id = "getCCByName")]
    async fn cc_xml_by_name(&self, owner: Path<String>, name: Path<String>) -> poem::Result<CcTray> {
        let repo = self.repo_by_name(&owner.0, &name.0).await?;
        self.cc(&repo).await
    }
}
