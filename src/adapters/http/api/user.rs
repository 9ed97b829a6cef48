//! `/api/user`: the caller themself and their personal access tokens.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::{Json, PlainText};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::user::UserDto;
use crate::adapters::http::guard;

/// Operations on the caller.
pub struct UserApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::User")]
impl UserApi {
    /// The authenticated user.
    #[oai(path = "/user", method = "get", operation_id = "getUser")]
    async fn get_user(&self, caller: Data<&Caller>) -> poem::Result<Json<UserDto>> {
        Ok(Json(UserDto::from(guard::user(&caller)?)))
    }

    /// A personal access token for the caller (all of a user's tokens are equivalent).
    #[oai(path = "/user/token", method = "post", operation_id = "createUserToken")]
    async fn create_token(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        let user = guard::user(&caller)?;
        Ok(PlainText(self.state.identity.personal_token(user)))
    }

    /// Revokes every token and session of the caller and returns a new personal access token.
    #[oai(path = "/user/token", method = "delete", operation_id = "resetUserToken")]
    async fn reset_token(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        let user = guard::user(&caller)?;
        Ok(PlainText(self.state.identity.rotate(user).await?))
    }
}
