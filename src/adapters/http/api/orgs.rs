//! `/api/orgs`: organizations (namespaces of repos), their lookup by name, and what the caller
//! may do in one. Membership comes from the forge, except for a user's own namespace and for
//! server admins.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::api::users::every_page;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::org::{OrgDto, OrgPermDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::app::repos::RepoError;
use crate::domain::org::{Org, OrgPerm};
use crate::domain::secret::Scope;
use crate::domain::user::User;
use crate::ports::store::{Page, StoreError};

/// Operations on orgs.
pub struct OrgsApi {
    /// Shared state.
    pub state: AppState,
}

/// Loads an org; 404 `Organization not found` (for anonymous callers too, as upstream checks
/// this before who is calling).
pub(crate) async fn load_org(state: &AppState, org_id: i64) -> Result<Org, ApiError> {
    state.store.get_org(org_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "Organization not found"),
        e => e.into(),
    })
}

/// What `user` may do in `org`, as `GET /orgs/{id}/permissions` tells it: everything in their
/// own namespace, nothing in someone else's, everything in any other org for server admins,
/// else what the forge says.
pub(crate) async fn org_perm(state: &AppState, user: Option<&User>, org: &Org) -> Result<OrgPerm, ApiError> {
    let all = OrgPerm { member: true, admin: true };
    let Some(user) = user else { return Ok(OrgPerm::default()) };
    if org.is_user {
        return Ok(if user.org_id == org.id { all } else { OrgPerm::default() });
    }
    if user.admin {
        return Ok(all);
    }
    if org.forge_id != user.forge_id {
        return Ok(OrgPerm::default());
    }
    Ok(state.forge.org_membership(user, &org.name).await?)
}

/// Loads an org and checks the caller is a member (and an admin with `admin`): anonymous 401,
/// others 403. A user's own namespace and server admins always pass.
pub(crate) async fn org_member(
    state: &AppState,
    caller: &Caller,
    org_id: i64,
    admin: bool,
) -> Result<(Org, User), ApiError> {
    let org = load_org(state, org_id).await?;
    let user = guard::user(caller)?.clone();
    if user.org_id == org.id || user.admin {
        return Ok((org, user));
    }
    let perm = state.forge.org_membership(&user, &org.name).await?;
    if perm.member && (!admin || perm.admin) {
        Ok((org, user))
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "user not authorized"))
    }
}

/// Deletes an org with its secrets and every repo in it (with everything the repos own, step
/// logs included).
pub(crate) async fn delete_org_with_repos(state: &AppState, org_id: i64) -> Result<(), RepoError> {
    let store = &state.store;
    for repo in every_page(|page| store.list_repos(false, page)).await? {
        if repo.org_id == org_id {
            state.repos.delete(repo.id).await?;
        }
    }
    for secret in every_page(|page| store.list_secrets(Scope::Org(org_id), page)).await? {
        store.delete_secret(secret.id).await?;
    }
    Ok(store.delete_org(org_id).await?)
}

#[OpenApi(tag = "ApiTags::Orgs")]
impl OrgsApi {
    /// One page of organizations (users' own namespaces are not listed), by id.
    #[oai(path = "/orgs", method = "get", operation_id = "getOrgs")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<OrgDto>>> {
        guard::admin(&caller)?;
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        // The store pages over every org; the page is cut after leaving out user namespaces so
        // that every page but the last is full.
        let orgs = every_page(|p| self.state.store.list_orgs(p)).await?;
        let listed = orgs
            .iter()
            .filter(|o| !o.is_user)
            .skip(page.offset() as usize)
            .take(page.limit() as usize)
            .map(OrgDto::from)
            .collect();
        Ok(Json(listed))
    }

    /// An org by name (case-insensitive) on the caller's forge; a private org only for those
    /// who may see it.
    #[oai(path = "/orgs/lookup/:org_full_name", method = "get", operation_id = "lookupOrg")]
    async fn lookup(&self, caller: Data<&Caller>, org_full_name: Path<String>) -> poem::Result<Json<OrgDto>> {
        let user = guard::user(&caller)?;
        let org = match self.state.store.find_org_by_name(user.forge_id, &org_full_name.0).await {
            Ok(org) => org,
            Err(StoreError::NotFound(_)) => return Err(ApiError::not_found().into()),
            Err(e) => return Err(e.into()),
        };
        if org.private && !org_perm(&self.state, Some(user), &org).await?.member {
            return Err(ApiError::not_found().into());
        }
        Ok(Json(OrgDto::from(&org)))
    }

    /// An org (members only).
    #[oai(path = "/orgs/:org_id", method = "get", operation_id = "getOrg")]
    async fn get(&self, caller: Data<&Caller>, org_id: Path<i64>) -> poem::Result<Json<OrgDto>> {
        let (org, _) = org_member(&self.state, &caller, org_id.0, false).await?;
        Ok(Json(OrgDto::from(&org)))
    }

    /// What the caller may do in an org (all false for anonymous callers).
    #[oai(path = "/orgs/:org_id/permissions", method = "get", operation_id = "getOrgPermissions")]
    async fn permissions(&self, caller: Data<&Caller>, org_id: Path<i64>) -> poem::Result<Json<OrgPermDto>> {
        let org = load_org(&self.state, org_id.0).await?;
        Ok(Json(org_perm(&self.state, caller.user.as_ref(), &org).await?.into()))
    }

    /// Deletes an org with its secrets and all its repos (server admins only).
    #[oai(path = "/orgs/:org_id", method = "delete", operation_id = "deleteOrg")]
    async fn delete(&self, caller: Data<&Caller>, org_id: Path<i64>) -> poem::Result<NoContent> {
        let org = load_org(&self.state, org_id.0).await?;
        guard::admin(&caller)?;
        delete_org_with_repos(&self.state, org.id).await?;
        Ok(NoContent::NoContent)
    }
}
