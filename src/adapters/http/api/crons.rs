//! `/api/repos/{repo_id}/cron`: a repo's cron schedules (R:push). The next run is computed on
//! creation and whenever the schedule, its time zone or its enabling changes.
//!
//! Running a cron now (`POST …/cron/{cron}`) needs the pipeline engine and is not served yet.
//!
//! # Layout
//! - [`schedule`]: parsing schedules and computing the next run.

pub mod schedule;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::cron::{CronDto, CronInputDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::domain::cron::Cron;
use crate::domain::perm::Access;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::Page;
use schedule::ScheduleError;

/// Operations on crons.
pub struct CronsApi {
    /// Shared state.
    pub state: AppState,
}

impl CronsApi {
    /// Checks a new cron, or a patched one against what it was, as upstream does before saving
    /// it: required fields (422), a new branch the forge knows (400), and a schedule that parses
    /// in its time zone (400; bad zone 422). A new schedule or zone, or re-enabling, sets
    /// `next_exec`.
    async fn check(
        &self,
        user: &User,
        repo: &Repo,
        cron: &mut Cron,
        before: Option<&Cron>,
    ) -> Result<(), ApiError> {
        let invalid = |e: &dyn std::fmt::Display| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Error inserting cron. validate failed: {e}"),
            )
        };
        cron.validate().map_err(|e| invalid(&e))?;
        let changed = |field: fn(&Cron) -> &str| before.is_none_or(|b| field(b) != field(cron));
        if !cron.branch.is_empty() && changed(|c| &c.branch) {
            self.state.forge.branch_head(user, repo, &cron.branch).await.map_err(|e| {
                ApiError::bad_request(format!("Error inserting cron. branch not resolved: {e}"))
            })?;
        }
        let re_enabled = cron.enabled && before.is_some_and(|b| !b.enabled);
        if changed(|c| &c.schedule) || changed(|c| &c.timezone) || re_enabled {
            cron.next_exec = schedule::next_exec(&cron.schedule, &cron.timezone, SystemClock.now()).map_err(
                |e| match e {
                    ScheduleError::Timezone(_) => invalid(&e),
                    ScheduleError::Schedule(_) => {
                        ApiError::bad_request(format!("Error inserting cron. schedule could not parsed: {e}"))
                    }
                },
            )?;
        }
        Ok(())
    }

    /// A cron of a repo the caller may push to; 404 when the repo has no such cron.
    async fn load(&self, caller: &Caller, repo_id: i64, cron_id: i64) -> Result<(Repo, Cron), ApiError> {
        let (repo, _) = guard::repo(&self.state, caller, repo_id, Access::Push).await?;
        let cron = self.state.store.get_cron(repo.id, cron_id).await?;
        Ok((repo, cron))
    }
}

#[OpenApi(tag = "ApiTags::Cron")]
impl CronsApi {
    /// One page of a repo's crons, by name.
    #[oai(path = "/repos/:repo_id/cron", method = "get", operation_id = "getCrons")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<CronDto>>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Push).await?;
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        let crons = self.state.store.list_crons(repo.id, page).await?;
        Ok(Json(crons.iter().map(CronDto::from).collect()))
    }

    /// Creates a cron (omitted `enabled` means disabled, as upstream).
    #[oai(path = "/repos/:repo_id/cron", method = "post", operation_id = "createCron")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<CronInputDto>,
    ) -> poem::Result<Json<CronDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Push).await?;
        let user = guard::user(&caller)?;
        let mut cron = body.0.into_new_cron(repo.id, user.id);
        self.check(user, &repo, &mut cron, None).await?;
        cron.created = SystemClock.now();
        let cron = self.state.store.create_cron(&cron).await?;
        Ok(Json(CronDto::from(&cron)))
    }

    /// A cron by id.
    #[oai(path = "/repos/:repo_id/cron/:cron", method = "get", operation_id = "getCron")]
    async fn get(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        cron: Path<i64>,
    ) -> poem::Result<Json<CronDto>> {
        let (_, cron) = self.load(&caller, repo_id.0, cron.0).await?;
        Ok(Json(CronDto::from(&cron)))
    }

    /// Changes a cron (CronPatch: empty strings are ignored); the caller becomes its creator.
    #[oai(path = "/repos/:repo_id/cron/:cron", method = "patch", operation_id = "updateCron")]
    async fn patch(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        cron: Path<i64>,
        body: StrictJson<CronInputDto>,
    ) -> poem::Result<Json<CronDto>> {
        let (repo, mut cron) = self.load(&caller, repo_id.0, cron.0).await?;
        let user = guard::user(&caller)?;
        let before = cron.clone();
        body.0.apply(&mut cron);
        cron.creator_id = user.id;
        self.check(user, &repo, &mut cron, Some(&before)).await?;
        self.state.store.update_cron(&cron).await?;
        Ok(Json(CronDto::from(&cron)))
    }

    /// Deletes a cron.
    #[oai(path = "/repos/:repo_id/cron/:cron", method = "delete", operation_id = "deleteCron")]
    async fn delete(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        cron: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (repo, cron) = self.load(&caller, repo_id.0, cron.0).await?;
        self.state.store.delete_cron(repo.id, cron.id).await?;
        Ok(NoContent::NoContent)
    }
}
