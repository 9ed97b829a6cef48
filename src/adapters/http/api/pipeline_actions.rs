//! Pipeline actions over `/api/repos/{repo_id}/...`: start one by hand, restart, cancel,
//! approve, decline, delete, and run a cron now (api.md §1.5, §4.2–4.6). The handlers check
//! the caller's permission and hand over to [`crate::app::pipelines::Pipelines`].

use std::collections::BTreeMap;

use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::pipeline::{PipelineDto, WorkflowDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::app::pipelines::{Created, LifecycleError, ManualOptions, RestartOptions};
use crate::domain::perm::Access;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::forge::ForgeError;

/// Query keys of a restart that are not environment variables of the run. `access_token` is
/// kept out too (upstream would put the caller's token into the pipeline's environment).
const RESTART_RESERVED: [&str; 4] = ["fork", "event", "deploy_to", "access_token"];

/// Pipeline actions.
pub struct PipelineActionsApi {
    /// Shared state.
    pub state: AppState,
}

/// The body of a manual start (upstream's `PipelineOptions`).
#[derive(Debug, Clone, Object)]
#[oai(rename = "PipelineOptions")]
pub struct PipelineOptionsDto {
    /// Branch to run on.
    #[oai(default)]
    pub branch: String,
    /// Optional message, shown as `MANUAL: <message> @ <branch>`.
    #[oai(default)]
    pub message: String,
    /// Variables of the run.
    #[oai(default)]
    pub variables: BTreeMap<String, String>,
}

/// A started pipeline, or the sign that nothing was left to run.
#[derive(ApiResponse)]
pub enum StartedResponse {
    /// The pipeline with its workflows.
    #[oai(status = 200)]
    Started(Json<Box<PipelineDto>>),
    /// Nothing to run: skip-ci, no config, or every workflow filtered out.
    #[oai(status = 204)]
    Filtered(#[oai(header = "Pipeline-Filtered")] String),
}

impl PipelineActionsApi {
    /// The repo with the caller's `access` checked, and the calling user.
    async fn repo<'a>(
        &self,
        caller: &'a Caller,
        repo_id: i64,
        access: Access,
    ) -> Result<(Repo, &'a User), ApiError> {
        let (repo, _) = guard::repo(&self.state, caller, repo_id, access).await?;
        Ok((repo, guard::user(caller)?))
    }

    /// The pipeline with its workflow tree, as the API shows it.
    async fn with_tree(&self, pipeline: &Pipeline) -> Result<PipelineDto, ApiError> {
        let trees = self.state.store.list_workflows(pipeline.id).await?;
        let mut dto = PipelineDto::from(pipeline);
        dto.workflows = trees.iter().map(|t| WorkflowDto::new(&t.workflow, &t.steps)).collect();
        Ok(dto)
    }

    /// 200 with the pipeline, or 204 `Pipeline-Filtered: true`.
    async fn started(&self, created: Created) -> Result<StartedResponse, ApiError> {
        Ok(match created {
            Created::Pipeline(pipeline) => {
                StartedResponse::Started(Json(Box::new(self.with_tree(&pipeline).await?)))
            }
            Created::Filtered => StartedResponse::Filtered("true".into()),
        })
    }
}

#[OpenApi(tag = "ApiTags::Pipelines")]
impl PipelineActionsApi {
    /// Starts a pipeline on the head of a branch (event `manual`).
    #[oai(path = "/repos/:repo_id/pipelines", method = "post", operation_id = "createPipeline")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<PipelineOptionsDto>,
    ) -> poem::Result<StartedResponse> {
        let (repo, user) = self.repo(&caller, repo_id.0, Access::Push).await?;
        let options =
            ManualOptions { branch: body.0.branch, message: body.0.message, variables: body.0.variables };
        let created = self.state.pipelines.run_manual(&repo, user, options).await.map_err(branch_error)?;
        Ok(self.started(created).await?)
    }

    /// Restarts a pipeline as a new one; `event=deployment` (with `deploy_to`, `deploy_task`)
    /// turns it into a deployment, and every other query parameter becomes a variable of the run.
    #[oai(path = "/repos/:repo_id/pipelines/:number", method = "post", operation_id = "restartPipeline")]
    async fn restart(
        &self,
        req: &Request,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<StartedResponse> {
        let (repo, _) = self.repo(&caller, repo_id.0, Access::Push).await?;
        let created = self
            .state
            .pipelines
            .restart(&repo, number.0, restart_options(req))
            .await
            .map_err(ApiError::from)?;
        Ok(self.started(created).await?)
    }

    /// Deletes a finished pipeline with its workflows, steps and logs.
    #[oai(path = "/repos/:repo_id/pipelines/:number", method = "delete", operation_id = "deletePipeline")]
    async fn delete(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (repo, _) = self.repo(&caller, repo_id.0, Access::Admin).await?;
        self.state.pipelines.delete(&repo, number.0).await.map_err(ApiError::from)?;
        Ok(NoContent::NoContent)
    }

    /// Cancels a pending, running or blocked pipeline.
    #[oai(
        path = "/repos/:repo_id/pipelines/:number/cancel",
        method = "post",
        operation_id = "cancelPipeline"
    )]
    async fn cancel(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (repo, user) = self.repo(&caller, repo_id.0, Access::Push).await?;
        self.state.pipelines.cancel(&repo, number.0, user).await.map_err(ApiError::from)?;
        Ok(NoContent::NoContent)
    }

    /// Approves a blocked pipeline, which then runs.
    #[oai(
        path = "/repos/:repo_id/pipelines/:number/approve",
        method = "post",
        operation_id = "approvePipeline"
    )]
    async fn approve(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<Json<PipelineDto>> {
        let (repo, user) = self.repo(&caller, repo_id.0, Access::Push).await?;
        let pipeline = self.state.pipelines.approve(&repo, number.0, user).await.map_err(ApiError::from)?;
        Ok(Json(self.with_tree(&pipeline).await?))
    }

    /// Declines a blocked pipeline.
    #[oai(
        path = "/repos/:repo_id/pipelines/:number/decline",
        method = "post",
        operation_id = "declinePipeline"
    )]
    async fn decline(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        number: Path<i64>,
    ) -> poem::Result<Json<PipelineDto>> {
        let (repo, user) = self.repo(&caller, repo_id.0, Access::Push).await?;
        let pipeline = self.state.pipelines.decline(&repo, number.0, user).await.map_err(ApiError::from)?;
        Ok(Json(self.with_tree(&pipeline).await?))
    }

    /// Runs a cron now, on its branch.
    #[oai(path = "/repos/:repo_id/cron/:cron", method = "post", operation_id = "runCron")]
    async fn run_cron(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        cron: Path<i64>,
    ) -> poem::Result<StartedResponse> {
        let (repo, _) = self.repo(&caller, repo_id.0, Access::Push).await?;
        let cron = self.state.store.get_cron(repo.id, cron.0).await?;
        let created = self.state.pipelines.run_cron(&repo, &cron).await.map_err(branch_error)?;
        Ok(self.started(created).await?)
    }
}

/// The restart's options from its query string (the first value of a repeated key wins).
fn restart_options(req: &Request) -> RestartOptions {
    let mut options = RestartOptions::default();
    let query = url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes());
    for (key, value) in query {
        let (key, value) = (key.into_owned(), value.into_owned());
        let option = match key.as_str() {
            "event" => Some(&mut options.event),
            "deploy_to" => Some(&mut options.deploy_to),
            "deploy_task" => Some(&mut options.deploy_task),
            _ => None,
        };
        if let Some(option) = option {
            option.get_or_insert_with(|| value.clone());
        }
        if !RESTART_RESERVED.contains(&key.as_str()) {
            options.env.entry(key).or_insert(value);
        }
    }
    options
}

/// A branch the forge cannot resolve is a server error upstream (500 with the reason).
fn branch_error(e: LifecycleError) -> ApiError {
    match e {
        LifecycleError::Forge(ForgeError::NotFound(what)) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to resolve branch head: {what} not found"),
        ),
        other => other.into(),
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, what),
            LifecycleError::BadRequest(why) => Self::bad_request(why),
            LifecycleError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, why),
            LifecycleError::Unprocessable(why) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, why),
            LifecycleError::Refused(why) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, why),
            LifecycleError::Forge(e) => e.into(),
            LifecycleError::Store(e) => e.into(),
            other => Self::internal(&other),
        }
    }
}
