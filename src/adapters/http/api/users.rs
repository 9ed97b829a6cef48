//! `/api/users`: user administration (server admins only). A user is named by login on the
//! server's forge, or by `forge_remote_id` when that query (or body field) is given.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::orgs::delete_org_with_repos;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::user::UserDto;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::domain::user::{User, validate_login};
use crate::ports::store::{Page, StoreError};

/// User administration.
pub struct UsersApi {
    /// Shared state.
    pub state: AppState,
}

/// The fields of a user an admin may set; absent fields are left as they are.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "UserInput")]
pub struct UserInput {
    /// Login name.
    pub login: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Avatar image URL.
    pub avatar_url: Option<String>,
    /// Server administrator.
    pub admin: Option<bool>,
    /// The forge (lookup key on PATCH, with `forge_remote_id`).
    pub forge_id: Option<i64>,
    /// The user's id at the forge (lookup key on PATCH).
    pub forge_remote_id: Option<String>,
}

pub(super) use crate::ports::store::every_page;

impl UsersApi {
    /// The user named by `forge_remote_id` when given, else by `login`, on `forge_id` (the
    /// server's forge by default); 404 when there is none.
    async fn find(
        &self,
        login: &str,
        forge_id: Option<i64>,
        remote_id: Option<&str>,
    ) -> Result<User, ApiError> {
        let forge_id = forge_id.unwrap_or(self.state.identity.settings().forge_id);
        let found = match remote_id.filter(|id| !id.is_empty()) {
            Some(remote_id) => every_page(|page| self.state.store.list_users(page))
                .await?
                .into_iter()
                .find(|u| u.forge_id == forge_id && u.forge_remote_id == remote_id)
                .ok_or_else(|| StoreError::NotFound("user")),
            None => self.state.store.find_user_by_login(forge_id, login).await,
        };
        found.map_err(|e| match e {
            StoreError::NotFound(_) => ApiError::not_found(),
            e => e.into(),
        })
    }
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// One page of users, by login.
    #[oai(path = "/users", method = "get", operation_id = "getUsers")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<UserDto>>> {
        guard::admin(&caller)?;
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        let users = self.state.store.list_users(page).await?;
        let identity = &self.state.identity;
        Ok(Json(
            users
                .iter()
                .map(|u| UserDto { admin_env: identity.is_env_admin(&u.login), ..UserDto::from(u) })
                .collect(),
        ))
    }

    /// Creates a user on the server's forge, with its own namespace org (an existing org of
    /// that name is adopted). Only `login`, `email` and `avatar_url` are read.
    #[oai(path = "/users", method = "post", operation_id = "postUser")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<UserInput>,
    ) -> poem::Result<Json<UserDto>> {
        guard::admin(&caller)?;
        let login = body.0.login.unwrap_or_default();
        validate_login(&login).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let forge_id = self.state.identity.settings().forge_id;
        match self.state.store.find_user_by_login(forge_id, &login).await {
            Ok(_) => return Err(ApiError::new(StatusCode::CONFLICT, "user already exists").into()),
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let user = User {
            login,
            email: body.0.email.unwrap_or_default(),
            avatar_url: body.0.avatar_url.unwrap_or_default(),
            forge_remote_id: "0".into(),
            ..User::default()
        };
        let user = self.state.identity.upsert(user).await?;
        Ok(Json(UserDto::from(&user)))
    }

    /// A user by login (or by `forge_remote_id`).
    #[oai(path = "/users/:login", method = "get", operation_id = "getUserByLogin")]
    async fn get(
        &self,
        caller: Data<&Caller>,
        login: Path<String>,
        forge_id: Query<Option<i64>>,
        forge_remote_id: Query<Option<String>>,
    ) -> poem::Result<Json<UserDto>> {
        guard::admin(&caller)?;
        let user = self.find(&login.0, forge_id.0, forge_remote_id.0.as_deref()).await?;
        Ok(Json(UserDto::from(&user)))
    }

    /// Changes a user's login, email, avatar or admin flag. The user is found by the body's
    /// `forge_id` and `forge_remote_id` when given, else by the login in the path.
    #[oai(path = "/users/:login", method = "patch", operation_id = "patchUser")]
    async fn patch(
        &self,
        caller: Data<&Caller>,
        login: Path<String>,
        body: StrictJson<UserInput>,
    ) -> poem::Result<Json<UserDto>> {
        guard::admin(&caller)?;
        let input = body.0;
        let mut user = self.find(&login.0, input.forge_id, input.forge_remote_id.as_deref()).await?;
        if let Some(login) = input.login.filter(|l| !l.is_empty()) {
            validate_login(&login).map_err(|e| ApiError::bad_request(e.to_string()))?;
            user.login = login;
        }
        user.email = input.email.unwrap_or(user.email);
        user.avatar_url = input.avatar_url.unwrap_or(user.avatar_url);
        user.admin = input.admin.unwrap_or(user.admin);
        self.state.store.update_user(&user).await?;
        Ok(Json(UserDto::from(&user)))
    }

    /// Deletes a user, their permissions and their own namespace org with every repo in it.
    #[oai(path = "/users/:login", method = "delete", operation_id = "deleteUser")]
    async fn delete(
        &self,
        caller: Data<&Caller>,
        login: Path<String>,
        forge_id: Query<Option<i64>>,
        forge_remote_id: Query<Option<String>>,
    ) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        let user = self.find(&login.0, forge_id.0, forge_remote_id.0.as_deref()).await?;
        self.state.store.delete_user(user.id).await?;
        match self.state.store.get_org(user.org_id).await {
            Ok(org) if org.is_user => delete_org_with_repos(&self.state, org.id).await?,
            Ok(_) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(NoContent::NoContent)
    }
}
