//! `/api/users`: user administration (server admins only).

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::user::UserDto;
use crate::adapters::http::guard;
use crate::ports::store::Page;

/// User administration.
pub struct UsersApi {
    /// Shared state.
    pub state: AppState,
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
}
