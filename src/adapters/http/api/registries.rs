//! `/api` operations on container registry credentials of the three scopes, with the same guards
//! as secrets: a repo's (`/repos/:repo_id/registries`, R:push), an org's
//! (`/orgs/:org_id/registries`, O:admin) and the server's (`/registries`: any user reads, server
//! admins write). The seed's 2.x paths `/repos/:repo_id/registry[/:registry]` are served too, by
//! the same operations. Passwords are never returned (`"password": ""`).
//!
//! The `:registry` path parameter is an address such as `docker.io` or `localhost:5000`,
//! percent-decoded (`localhost:5000%2Fmirror` names `localhost:5000/mirror`).
//!
//! Upstream quirk not replicated (api.md §6.7): repo registry creation and patch echo the request
//! body (id 0, no scope); here they answer the stored registry, as every other scope does.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::api::secrets::{global_scope, invalid, org_scope, page, repo_scope};
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::registry::RegistryDto;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::strict_json::StrictJson;
use crate::domain::registry::Registry;
use crate::domain::secret::Scope;
use crate::ports::store::{Page, Store};

/// Operations on registries.
pub struct RegistriesApi {
    /// Shared state.
    pub state: AppState,
}

/// Upstream's status for a rule violation (api.md §6.8): 422 in org scopes and on repo patches,
/// 400 in the global scope and on repo creation.
fn invalid_status(scope: Scope, creating: bool) -> StatusCode {
    match scope {
        Scope::Org(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Scope::Repo(_) if !creating => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The registry operations every scope shares.
struct Registries<'a> {
    store: &'a dyn Store,
    scope: Scope,
}

impl Registries<'_> {
    async fn list(&self, page: Page) -> Result<Json<Vec<RegistryDto>>, ApiError> {
        let registries = self.store.list_registries(self.scope, page).await?;
        Ok(Json(registries.iter().map(RegistryDto::from).collect()))
    }

    /// Creates a registry; a taken address is 409 (upstream answers 500).
    async fn create(&self, body: RegistryDto) -> Result<Json<RegistryDto>, ApiError> {
        let registry = body.into_registry(self.scope);
        registry.validate().map_err(invalid(invalid_status(self.scope, true)))?;
        let registry = self.store.create_registry(&registry).await?;
        Ok(Json(RegistryDto::from(&registry)))
    }

    async fn find(&self, address: &str) -> Result<Registry, ApiError> {
        Ok(self.store.find_registry(self.scope, address).await?)
    }

    async fn get(&self, address: &str) -> Result<Json<RegistryDto>, ApiError> {
        Ok(Json(RegistryDto::from(&self.find(address).await?)))
    }

    /// Non-empty fields replace the stored ones; as upstream, a repo registry keeps its address.
    async fn patch(&self, address: &str, body: RegistryDto) -> Result<Json<RegistryDto>, ApiError> {
        let mut registry = self.find(address).await?;
        body.apply(&mut registry, !matches!(self.scope, Scope::Repo(_)));
        registry.validate().map_err(invalid(invalid_status(self.scope, false)))?;
        self.store.update_registry(&registry).await?;
        Ok(Json(RegistryDto::from(&registry)))
    }

    async fn delete(&self, address: &str) -> Result<NoContent, ApiError> {
        let registry = self.find(address).await?;
        self.store.delete_registry(registry.id).await?;
        Ok(NoContent::NoContent)
    }
}

impl RegistriesApi {
    fn of(&self, scope: Scope) -> Registries<'_> {
        Registries { store: self.state.store.as_ref(), scope }
    }

    async fn repo(&self, caller: &Caller, repo_id: i64) -> Result<Registries<'_>, ApiError> {
        Ok(self.of(repo_scope(&self.state, caller, repo_id).await?))
    }

    async fn org(&self, caller: &Caller, org_id: i64) -> Result<Registries<'_>, ApiError> {
        Ok(self.of(org_scope(&self.state, caller, org_id).await?))
    }

    fn global(&self, caller: &Caller, write: bool) -> Result<Registries<'_>, ApiError> {
        Ok(self.of(global_scope(caller, write)?))
    }
}

#[OpenApi(tag = "ApiTags::Registries")]
impl RegistriesApi {
    /// One page of a repo's registries, by id.
    #[oai(path = "/repos/:repo_id/registries", method = "get", operation_id = "listRepoRegistries")]
    async fn list_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<RegistryDto>>> {
        Ok(self.repo(&caller, repo_id.0).await?.list(self::page(page, per_page)).await?)
    }

    /// Adds a repo registry.
    #[oai(path = "/repos/:repo_id/registries", method = "post", operation_id = "createRepoRegistry")]
    async fn create_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.repo(&caller, repo_id.0).await?.create(body.0).await?)
    }

    /// A repo registry, by address.
    #[oai(path = "/repos/:repo_id/registries/:registry", method = "get", operation_id = "getRepoRegistry")]
    async fn get_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.repo(&caller, repo_id.0).await?.get(&registry.0).await?)
    }

    /// Changes a repo registry's username or password.
    #[oai(
        path = "/repos/:repo_id/registries/:registry",
        method = "patch",
        operation_id = "updateRepoRegistry"
    )]
    async fn patch_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.repo(&caller, repo_id.0).await?.patch(&registry.0, body.0).await?)
    }

    /// Deletes a repo registry.
    #[oai(
        path = "/repos/:repo_id/registries/:registry",
        method = "delete",
        operation_id = "deleteRepoRegistry"
    )]
    async fn delete_repo(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<NoContent> {
        Ok(self.repo(&caller, repo_id.0).await?.delete(&registry.0).await?)
    }

    /// 2.x path of `listRepoRegistries`.
    #[oai(path = "/repos/:repo_id/registry", method = "get", operation_id = "listRepoRegistryV2", deprecated)]
    async fn list_repo_v2(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<RegistryDto>>> {
        self.list_repo(caller, repo_id, page, per_page).await
    }

    /// 2.x path of `createRepoRegistry`.
    #[oai(
        path = "/repos/:repo_id/registry",
        method = "post",
        operation_id = "createRepoRegistryV2",
        deprecated
    )]
    async fn create_repo_v2(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        self.create_repo(caller, repo_id, body).await
    }

    /// 2.x path of `getRepoRegistry`.
    #[oai(
        path = "/repos/:repo_id/registry/:registry",
        method = "get",
        operation_id = "getRepoRegistryV2",
        deprecated
    )]
    async fn get_repo_v2(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<Json<RegistryDto>> {
        self.get_repo(caller, repo_id, registry).await
    }

    /// 2.x path of `updateRepoRegistry`.
    #[oai(
        path = "/repos/:repo_id/registry/:registry",
        method = "patch",
        operation_id = "updateRepoRegistryV2",
        deprecated
    )]
    async fn patch_repo_v2(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        self.patch_repo(caller, repo_id, registry, body).await
    }

    /// 2.x path of `deleteRepoRegistry`.
    #[oai(
        path = "/repos/:repo_id/registry/:registry",
        method = "delete",
        operation_id = "deleteRepoRegistryV2",
        deprecated
    )]
    async fn delete_repo_v2(
        &self,
        caller: Data<&Caller>,
        repo_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<NoContent> {
        self.delete_repo(caller, repo_id, registry).await
    }

    /// One page of an org's registries, by id.
    #[oai(path = "/orgs/:org_id/registries", method = "get", operation_id = "listOrgRegistries")]
    async fn list_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<RegistryDto>>> {
        Ok(self.org(&caller, org_id.0).await?.list(self::page(page, per_page)).await?)
    }

    /// Adds an org registry.
    #[oai(path = "/orgs/:org_id/registries", method = "post", operation_id = "createOrgRegistry")]
    async fn create_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.org(&caller, org_id.0).await?.create(body.0).await?)
    }

    /// An org registry, by address.
    #[oai(path = "/orgs/:org_id/registries/:registry", method = "get", operation_id = "getOrgRegistry")]
    async fn get_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.org(&caller, org_id.0).await?.get(&registry.0).await?)
    }

    /// Changes an org registry (address, username or password).
    #[oai(path = "/orgs/:org_id/registries/:registry", method = "patch", operation_id = "updateOrgRegistry")]
    async fn patch_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        registry: Path<String>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.org(&caller, org_id.0).await?.patch(&registry.0, body.0).await?)
    }

    /// Deletes an org registry.
    #[oai(path = "/orgs/:org_id/registries/:registry", method = "delete", operation_id = "deleteOrgRegistry")]
    async fn delete_org(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        registry: Path<String>,
    ) -> poem::Result<NoContent> {
        Ok(self.org(&caller, org_id.0).await?.delete(&registry.0).await?)
    }

    /// One page of the server's global registries, by id.
    #[oai(path = "/registries", method = "get", operation_id = "listGlobalRegistries")]
    async fn list_global(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<RegistryDto>>> {
        Ok(self.global(&caller, false)?.list(self::page(page, per_page)).await?)
    }

    /// Adds a global registry.
    #[oai(path = "/registries", method = "post", operation_id = "createGlobalRegistry")]
    async fn create_global(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.global(&caller, true)?.create(body.0).await?)
    }

    /// A global registry, by address.
    #[oai(path = "/registries/:registry", method = "get", operation_id = "getGlobalRegistry")]
    async fn get_global(
        &self,
        caller: Data<&Caller>,
        registry: Path<String>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.global(&caller, false)?.get(&registry.0).await?)
    }

    /// Changes a global registry (address, username or password).
    #[oai(path = "/registries/:registry", method = "patch", operation_id = "updateGlobalRegistry")]
    async fn patch_global(
        &self,
        caller: Data<&Caller>,
        registry: Path<String>,
        body: StrictJson<RegistryDto>,
    ) -> poem::Result<Json<RegistryDto>> {
        Ok(self.global(&caller, true)?.patch(&registry.0, body.0).await?)
    }

    /// Deletes a global registry.
    #[oai(path = "/registries/:registry", method = "delete", operation_id = "deleteGlobalRegistry")]
    async fn delete_global(&self, caller: Data<&Caller>, registry: Path<String>) -> poem::Result<NoContent> {
        Ok(self.global(&caller, true)?.delete(&registry.0).await?)
    }
}
