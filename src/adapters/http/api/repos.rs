//! `/api/repos`: activating repos, reading them and the caller's permission, deactivating them.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::repo::{PermDto, RepoDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::app::repos::RepoError;
use crate::domain::perm::Access;

/// Repository operations.
pub struct RepoApi {
    /// Shared state.
    pub state: AppState,
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::AlreadyActive => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            RepoError::NotAdmin => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            RepoError::Forge(e) => e.into(),
            RepoError::Store(e) => e.into(),
        }
    }
}

impl From<RepoError> for poem::Error {
    fn from(e: RepoError) -> Self {
        ApiError::from(e).into()
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

    /// A repo.
    #[oai(path = "/repos/:repo_id", method = "get", operation_id = "getRepo")]
    async fn get(&self, caller: Data<&Caller>, repo_id: Path<i64>) -> poem::Result<Json<RepoDto>> {
        let (repo, _) = guard::repo(&self.state, &caller, repo_id.0, Access::Pull).await?;
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
}
