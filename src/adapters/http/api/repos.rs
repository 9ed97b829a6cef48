//! `/api/repos`: activating repos, finding them, reading and changing their settings and the
//! caller's permission, repairing, moving and deactivating them, and the forge's branches and
//! pull requests of a repo.
//!
//! # Layout
//! - [`settings`] — the RepoPatch body of `PATCH /repos/{id}`.
//! - [`maintenance`] — repair and move.

mod maintenance;
mod settings;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::repo::{PermDto, RepoDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::app::repos::RepoError;
use crate::domain::perm::Access;
use crate::domain::repo::Repo;
use crate::ports::forge::{ForgeError, ListOptions};
use crate::ports::store::{Page, StoreError};

/// Repository operations.
pub struct RepoApi {
    /// Shared state.
    pub state: AppState,
}

/// An answer without a body: 204.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// Which repos `POST /repos/repair` could not repair.
#[derive(Debug, Clone, Object)]
#[oai(rename = "RepairFailure")]
pub struct RepairFailureDto {
    /// What went wrong.
    pub error: String,
    /// Ids of the repos that failed.
    pub failed_repos: Vec<i64>,
}

/// The answer of `POST /repos/repair`.
#[derive(ApiResponse)]
pub enum RepairAll {
    /// Every active repo was repaired.
    #[oai(status = 204)]
    Repaired,
    /// Some repos failed (upstream's one JSON error body).
    #[oai(status = 500)]
    Failed(Json<RepairFailureDto>),
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::AlreadyActive => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            RepoError::NotAdmin => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            RepoError::Forge(e) => e.into(),
            RepoError::Store(e) => e.into(),
            RepoError::Logs(e) => e.into(),
        }
    }
}

impl From<RepoError> for poem::Error {
    fn from(e: RepoError) -> Self {
        ApiError::from(e).into()
    }
}

/// Forge listing options from the `page`/`perPage` query, clamped as store pages are.
fn list_options(page: Option<i64>, per_page: Option<i64>) -> ListOptions {
    let page = Page::new(page.unwrap_or(1), per_page.unwrap_or(Page::MAX_PER_PAGE));
    ListOptions { all: false, page: page.page() as u32, per_page: page.per_page() as u32 }
}

impl RepoApi {
    /// A repo by full name (case-insensitive, following renames) with the caller's pull access:
    /// unknown names are 401 for anonymous callers and 404 for users, as for ids.
    async fn lookup_repo(&self, caller: &Caller, full_name: &str) -> Result<Repo, ApiError> {
        let repo = match self.state.store.find_repo_by_full_name(full_name).await {
            Ok(repo) => repo,
            Err(StoreError::NotFound(_)) if caller.user.is_none() => return Err(ApiError::unauthorized()),
            Err(StoreError::NotFound(_)) => return Err(ApiError::not_found()),
            Err(e) => return Err(e.into()),
        };
        Ok(guard::repo(&self.state, caller, repo.id, Access::Pull).await?.0)
    }

    /// The repo owner, whose forge credentials read branches and pull requests; 404 when gone.
    async fn owner(&self, repo: &Repo) -> Result<crate::domain::user::User, ApiError> {
        self.state.store.get_user(repo.user_id).await.map_err(|e| match e {
            StoreError::NotFound(_) => ApiError::not_found(),
            e => e.into(),
        })
    }
}

#[OpenApi(tag = "ApiTags::Repositories")]
impl RepoApi {
    /// Activates a forge repo: stores it, installs its webhook, makes the caller its owner.
    #[oai(path = "/repos", method = "post", operation_id = "activateRepo")]
    async fn activate(
        &self,
        caller: Data<&Caller>,
        forge_remote_id: Query<Option<String>>,
    ) -> poem::Result<Json<RepoDto>> {
        let user = guard::user(&caller)?;
        let remote_id = forge_remote_id.0.filter(|id| !id.is_empty());
        let remote_id = remote_id.ok_or_else(|| ApiError::bad_request("No forge_remote_id provided"))?;
        let repo = self.state.repos.activate(user, &remote_id).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// One page of every repo on the server (only active ones with `active=true`), by full name.
    #[oai(path = "/repos", method = "get", operation_id = "getAllRepos")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        active: Query<Option<bool>>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<RepoDto>>> {
        guard::admin(&caller)?;
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        let repos = self.state.store.list_repos(active.0 == Some(true), page).await?;
        Ok(Json(repos.iter().map(RepoDto::from).collect()))
    }

    /// A repo by `owner/name`.
    #[oai(path = "/repos/lookup/:owner/:name", method = "get", operation_id = "lookupRepo")]
    async fn lookup(
        &self,
        caller: Data<&Caller>,
        owner: Path<String>,
        name: Path<String>,
    ) -> poem::Result<Json<RepoDto>> {
        let repo = self.lookup_repo(&caller, &format!("{}/{}", owner.0, name.0)).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// A repo by its full name in one path segment (`owner%2Fname`).
    #[oai(path = "/repos/lookup/:repo_full_name", method = "get", operation_id = "lookupRepoByEncodedName")]
    async fn lookup_encoded(
        &self,
        caller: Data<&Caller>,
        repo_full_name: Path<String>,
    ) -> poem::Result<Json<RepoDto>> {
        let repo = self.lookup_repo(&caller, &repo_full_name.0).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// Repairs every active repo (server admins only).
    #[oai(path = "/repos/repair", method = "post", operation_id = "repairAllRepos")]
    async fn repair_all(&self, caller: Data<&Caller>) -> poem::Result<RepairAll> {
        let admin = guard::admin(&caller)?;
        let repos = super::users::every_page(|page| self.state.store.list_repos(true, page)).await?;
        let mut failed = Vec::new();
        for repo in repos {
            let id = repo.id;
            if let Err(e) = maintenance::repair(&self.state, admin, repo, false).await {
                tracing::warn!(repo = id, status = %e.status, error = %e.message, "repo repair failed");
                failed.push(id);
            }
        }
        if failed.is_empty() {
            return Ok(RepairAll::Repaired);
        }
        let error = "failed to repair some repos".to_owned();
        Ok(RepairAll::Failed(Json(RepairFailureDto { error, failed_repos: failed })))
    }

    /// A repo.
    #[oai(path = "/repos/:repo_id", method = "get", operation_id = "getRepo")]
    async fn get(&self, caller: Data<&Caller>, repo_id: Path<i64>) -> poem::Result<Json<RepoDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// Changes a repo's settings (RepoPatch; 2.x's `gated`, `netrc_only_trusted` and boolean
    /// `trusted` are accepted too).
    #[oai(path = "/repos/:repo_id", method = "patch", operation_id = "patchRepo")]
    async fn patch(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<serde_json::Value>,
    ) -> poem::Result<Json<RepoDto>> {
        let (mut repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Admin).await?;
        let by_server_admin = guard::user(&caller)?.admin;
        settings::apply(&mut repo, &body.0, by_server_admin)?;
        self.state.store.update_repo(&repo).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// The caller's effective permission on a repo (all false for anonymous callers on a
    /// private repo, rather than 401).
    #[oai(path = "/repos/:repo_id/permissions", method = "get", operation_id = "getRepoPermissions")]
    async fn permissions(&self, caller: Data<&Caller>, repo_id: Path<i64>) -> poem::Result<Json<PermDto>> {
        let (_, perm) = guard::repo_with_perm(&self.state, &caller, repo_id.0).await?;
        Ok(Json(PermDto::from(&perm)))
    }

    /// Deactivates a repo, or deletes it with everything it owns when `remove=true`.
    #[oai(path = "/repos/:repo_id", method = "delete", operation_id = "deleteRepo")]
    async fn delete(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        remove: Query<Option<bool>>,
    ) -> poem::Result<Json<RepoDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Admin).await?;
        let user = guard::user(&caller)?;
        let repo = self.state.repos.deactivate(user, repo, remove.0.unwrap_or(false)).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// Branch names at the forge, read with the repo owner's credentials.
    #[oai(path = "/repos/:repo_id/branches", method = "get", operation_id = "getRepoBranches")]
    async fn branches(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<String>>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        let owner = self.owner(&repo).await?;
        let options = list_options(page.0, per_page.0);
        Ok(Json(self.state.forge.branches(&owner, &repo, options).await?))
    }

    /// Open pull requests at the forge (`[]` on forges without them), read with the repo
    /// owner's credentials.
    #[oai(path = "/repos/:repo_id/pull_requests", method = "get", operation_id = "getRepoPullRequests")]
    async fn pull_requests(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<PullRequestDto>>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
        let owner = self.owner(&repo).await?;
        let options = list_options(page.0, per_page.0);
        let pulls = match self.state.forge.pull_requests(&owner, &repo, options).await {
            Err(ForgeError::NotSupported(_)) => Vec::new(),
            listed => listed?,
        };
        Ok(Json(pulls.into_iter().map(|p| PullRequestDto { index: p.index, title: p.title }).collect()))
    }

    /// Makes the caller the repo's owner (whose forge credentials Nuthatch uses for it).
    #[oai(path = "/repos/:repo_id/chown", method = "post", operation_id = "chownRepo")]
    async fn chown(&self, caller: Data<&Caller>, repo_id: Path<i64>) -> poem::Result<Json<RepoDto>> {
        let (mut repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Admin).await?;
        repo.user_id = guard::user(&caller)?.id;
        self.state.store.update_repo(&repo).await?;
        Ok(Json(RepoDto::from(&repo)))
    }

    /// Brings a repo back in step with the forge and reinstalls its webhook.
    #[oai(path = "/repos/:repo_id/repair", method = "post", operation_id = "repairRepo")]
    async fn repair(&self, caller: Data<&Caller>, repo_id: Path<i64>) -> poem::Result<NoContent> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Admin).await?;
        maintenance::repair(&self.state, guard::user(&caller)?, repo, true).await?;
        Ok(NoContent::NoContent)
    }

    /// Points a repo at another forge repo (`to=owner/name`), after a rename or transfer.
    #[oai(path = "/repos/:repo_id/move", method = "post", operation_id = "moveRepo")]
    async fn move_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        to: Query<Option<String>>,
    ) -> poem::Result<NoContent> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Admin).await?;
        let to = to.0.unwrap_or_default();
        maintenance::move_to(&self.state, guard::user(&caller)?, repo, &to).await?;
        Ok(NoContent::NoContent)
    }
}

/// An open pull request at the forge.
#[derive(Debug, Clone, Object)]
#[oai(rename = "PullRequest")]
pub struct PullRequestDto {
    /// Number or id at the forge.
    pub index: String,
    /// Title.
    pub title: String,
}
