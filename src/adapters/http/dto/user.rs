//! The `User` wire shape.

use poem_openapi::Object;

use crate::adapters::http::dto::{is_false, is_zero};
use crate::domain::user::User;

/// A user as the API shows it; tokens and the hash never leave the server.
#[derive(Debug, Clone, Object)]
#[oai(rename = "User")]
pub struct UserDto {
    /// Store id.
    pub id: i64,
    /// The forge the user logs in through.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub forge_id: i64,
    /// The user's id at the forge.
    pub forge_remote_id: String,
    /// Login name.
    pub login: String,
    /// Email address.
    pub email: String,
    /// Avatar image URL.
    pub avatar_url: String,
    /// Server administrator (absent for everyone else, as upstream).
    #[oai(default, skip_serializing_if = "is_false")]
    pub admin: bool,
    /// Whether `WOODPECKER_ADMIN` names the user (only in the admin user list).
    #[oai(default, skip_serializing_if = "is_false")]
    pub admin_env: bool,
    /// The org that stands for the user's namespace.
    pub org_id: i64,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            forge_id: u.forge_id,
            forge_remote_id: u.forge_remote_id.clone(),
            login: u.login.clone(),
            email: u.email.clone(),
            avatar_url: u.avatar_url.clone(),
            admin: u.admin,
            admin_env: false,
            org_id: u.org_id,
        }
    }
}
