//! `/api` operations on secrets of the three scopes: a repo's (`/repos/:repo_id/secrets`, R:push),
//! an org's (`/orgs/:org_id/secrets`, O:admin) and the server's (`/secrets`: any user reads, server
//! admins write, as upstream 3.x). Every scope runs the same `Secrets` operations; the handlers
//! only pick the scope after the scope's guard. Answers never carry a secret's value.
//!
//! The scope guards (`repo_scope`, `org_scope`, `global_scope`) are shared with
//! [`registries`](super::registries), whose scopes and permissions are the same.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::orgs::org_member;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::secret::{SecretDto, SecretPatchDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::domain::perm::Access;
use crate::domain::secret::{Scope, Secret};
use crate::domain::validation::ValidationError;
use crate::ports::store::{Page, Store};

/// Operations on secrets.
pub struct SecretsApi {
    /// Shared state.
    pub state: AppState,
}

/// The scope of a repo, for callers with push access (R:push).
pub(crate) async fn repo_scope(state: &AppState, caller: &Caller, repo_id: i64) -> Result<Scope, ApiError> {
    guard::repo(state, caller, repo_id, Access::Push).await?;
    Ok(Scope::Repo(repo_id))
}

/// The scope of an org, for its admins (O:admin): server admins, the user whose own namespace
/// it is, and whoever the forge says administers it. A non-numeric id is 400, as upstream.
pub(crate) async fn org_scope(state: &AppState, caller: &Caller, org_id: i64) -> Result<Scope, ApiError> {
    let (org, _) = org_member(state, caller, org_id, true).await?;
    Ok(Scope::Org(org.id))
}

/// The server's scope: any user may read it (upstream 3.x), only server admins may change it.
pub(crate) fn global_scope(caller: &Caller, write: bool) -> Result<Scope, ApiError> {
    if write {
        guard::admin(caller)?
    } else {
        guard::user(caller)?
    };
    Ok(Scope::Global)
}

/// A page from the `page` and `perPage` query values.
pub(crate) fn page(page: Query<Option<i64>>, per_page: Query<Option<i64>>) -> Page {
    Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE))
}

/// A rule violation answered with `status`: upstream answers 422 for most scopes and operations
/// but 400 for some (api.md §6.8), and we answer as it does.
pub(crate) fn invalid(status: StatusCode) -> impl Fn(ValidationError) -> ApiError {
    move |e| ApiError::new(status, e.to_string())
}

/// The secret operations every scope shares.
struct Secrets<'a> {
    store: &'a dyn Store,
    scope: Scope,
}

impl Secrets<'_> {
    async fn list(&self, page: Page) -> Result<Json<Vec<SecretDto>>, ApiError> {
        let secrets = self.store.list_secrets(self.scope, page).await?;
        Ok(Json(secrets.iter().map(SecretDto::from).collect()))
    }

    /// Creates a secret; a taken name is 409 (upstream answers 500).
    async fn create(&self, body: SecretDto, invalid_status: StatusCode) -> Result<Json<SecretDto>, ApiError> {
        let mut secret = body.into_secret(self.scope).map_err(invalid(invalid_status))?;
        secret.validate().map_err(invalid(invalid_status))?;
        let secret = self.store.create_secret(&secret).await?;
        Ok(Json(SecretDto::from(&secret)))
    }

    async fn find(&self, name: &str) -> Result<Secret, ApiError> {
        Ok(self.store.find_secret(self.scope, name).await?)
    }

    async fn get(&self, name: &str) -> Result<Json<SecretDto>, ApiError> {
        Ok(Json(SecretDto::from(&self.find(name).await?)))
    }

    async fn patch(
        &self,
        name: &str,
        patch: SecretPatchDto,
        invalid_status: StatusCode,
    ) -> Result<Json<SecretDto>, ApiError> {
        let mut secret = self.find(name).await?;
        patch.apply(&mut secret).map_err(invalid(invalid_status))?;
        secret.validate().map_err(invalid(invalid_status))?;
        self.store.update_secret(&secret).await?;
        Ok(Json(SecretDto::from(&secret)))
    }

    async fn delete(&self, name: &str) -> Result<NoContent, ApiError> {
        let secret = self.find(name).await?;
        self.store.delete_secret(secret.id).await?;
        Ok(NoContent::NoContent)
    }
}

impl SecretsApi {
    fn of(&self, scope: Scope) -> Secrets<'_> {
        Secrets { store: self.state.store.as_ref(), scope }
    }
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

#[OpenApi(tag = "ApiTags::Secrets")]
impl SecretsApi {
    /// One page of a repo's own secrets (not its org's or the server's), by name.
    #[oai(path = "/repos/:repo_id/secrets", method = "get", operation_id = "listRepoSecrets")]
    async fn list_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<SecretDto>>> {
        let scope = repo_scope(&self.state, &caller, repo_id.0).await?;
        Ok(self.of(scope).list(self::page(page, per_page)).await?)
    }

    /// Creates a repo secret.
    #[oai(path = "/repos/:repo_id/secrets", method = "post", operation_id = "createRepoSecret")]
    async fn create_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<SecretDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = repo_scope(&self.state, &caller, repo_id.0).await?;
        Ok(self.of(scope).create(body.0, UNPROCESSABLE).await?)
    }

    /// A repo secret, by name.
    #[oai(path = "/repos/:repo_id/secrets/:secretName", method = "get", operation_id = "getRepoSecret")]
    async fn get_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        #[oai(name = "secretName")] name: Path<String>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = repo_scope(&self.state, &caller, repo_id.0).await?;
        Ok(self.of(scope).get(&name.0).await?)
    }

    /// Changes a repo secret.
    #[oai(path = "/repos/:repo_id/secrets/:secretName", method = "patch", operation_id = "updateRepoSecret")]
    async fn patch_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        #[oai(name = "secretName")] name: Path<String>,
        body: StrictJson<SecretPatchDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = repo_scope(&self.state, &caller, repo_id.0).await?;
        Ok(self.of(scope).patch(&name.0, body.0, UNPROCESSABLE).await?)
    }

    /// Deletes a repo secret.
    #[oai(path = "/repos/:repo_id/secrets/:secretName", method = "delete", operation_id = "deleteRepoSecret")]
    async fn delete_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        #[oai(name = "secretName")] name: Path<String>,
    ) -> poem::Result<NoContent> {
        let scope = repo_scope(&self.state, &caller, repo_id.0).await?;
        Ok(self.of(scope).delete(&name.0).await?)
    }

    /// One page of an org's secrets, by name.
    #[oai(path = "/orgs/:org_id/secrets", method = "get", operation_id = "listOrgSecrets")]
    async fn list_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<SecretDto>>> {
        let scope = org_scope(&self.state, &caller, org_id.0).await?;
        Ok(self.of(scope).list(self::page(page, per_page)).await?)
    }

    /// Creates an org secret.
    #[oai(path = "/orgs/:org_id/secrets", method = "post", operation_id = "createOrgSecret")]
    async fn create_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        body: StrictJson<SecretDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = org_scope(&self.state, &caller, org_id.0).await?;
        Ok(self.of(scope).create(body.0, UNPROCESSABLE).await?)
    }

    /// An org secret, by name.
    #[oai(path = "/orgs/:org_id/secrets/:secret", method = "get", operation_id = "getOrgSecret")]
    async fn get_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        secret: Path<String>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = org_scope(&self.state, &caller, org_id.0).await?;
        Ok(self.of(scope).get(&secret.0).await?)
    }

    /// Changes an org secret.
    #[oai(path = "/orgs/:org_id/secrets/:secret", method = "patch", operation_id = "updateOrgSecret")]
    async fn patch_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        secret: Path<String>,
        body: StrictJson<SecretPatchDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = org_scope(&self.state, &caller, org_id.0).await?;
        Ok(self.of(scope).patch(&secret.0, body.0, UNPROCESSABLE).await?)
    }

    /// Deletes an org secret.
    #[oai(path = "/orgs/:org_id/secrets/:secret", method = "delete", operation_id = "deleteOrgSecret")]
    async fn delete_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        secret: Path<String>,
    ) -> poem::Result<NoContent> {
        let scope = org_scope(&self.state, &caller, org_id.0).await?;
        Ok(self.of(scope).delete(&secret.0).await?)
    }

    /// One page of the server's global secrets, by name.
    #[oai(path = "/secrets", method = "get", operation_id = "listGlobalSecrets")]
    async fn list_global(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<SecretDto>>> {
        let scope = global_scope(&caller, false)?;
        Ok(self.of(scope).list(self::page(page, per_page)).await?)
    }

    /// Creates a global secret.
    #[oai(path = "/secrets", method = "post", operation_id = "createGlobalSecret")]
    async fn create_global(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<SecretDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = global_scope(&caller, true)?;
        Ok(self.of(scope).create(body.0, UNPROCESSABLE).await?)
    }

    /// A global secret, by name.
    #[oai(path = "/secrets/:secret", method = "get", operation_id = "getGlobalSecret")]
    async fn get_global(&self, caller: Data<&Caller>, secret: Path<String>) -> poem::Result<Json<SecretDto>> {
        let scope = global_scope(&caller, false)?;
        Ok(self.of(scope).get(&secret.0).await?)
    }

    /// Changes a global secret (a rule violation is 400 here, as upstream).
    #[oai(path = "/secrets/:secret", method = "patch", operation_id = "updateGlobalSecret")]
    async fn patch_global(
        &self,
        caller: Data<&Caller>,
        secret: Path<String>,
        body: StrictJson<SecretPatchDto>,
    ) -> poem::Result<Json<SecretDto>> {
        let scope = global_scope(&caller, true)?;
        Ok(self.of(scope).patch(&secret.0, body.0, StatusCode::BAD_REQUEST).await?)
    }

    /// Deletes a global secret.
    #[oai(path = "/secrets/:secret", method = "delete", operation_id = "deleteGlobalSecret")]
    async fn delete_global(&self, caller: Data<&Caller>, secret: Path<String>) -> poem::Result<NoContent> {
        let scope = global_scope(&caller, true)?;
        Ok(self.of(scope).delete(&secret.0).await?)
    }
}
