//! The `/api` operations, described with poem-openapi so the OpenAPI document at
//! `/swagger/doc.json` is generated from the same code that serves them.
//!
//! Path parameters bind by position (a poem-openapi trap): every handler lists its `Path`
//! arguments in the order they appear in the path.
//!
//! # Layout
//! - [`user`]: the caller (`/user`, tokens).
//! - [`users`]: user administration.
//! - [`repos`]: repositories.
//! - [`orgs`], [`secrets`], [`registries`], [`crons`], [`forges`], [`agents`], [`badges`],
//!   [`system`]: the other resource groups.

pub mod agents;
pub mod badges;
pub mod crons;
pub mod forges;
pub mod orgs;
pub mod registries;
pub mod repos;
pub mod secrets;
pub mod system;
pub mod user;
pub mod users;

use poem_openapi::{OpenApiService, Tags};

use crate::adapters::http::AppState;
use crate::app::version;

/// Groups of operations in the document.
#[derive(Tags)]
pub enum ApiTags {
    /// The authenticated user.
    User,
    /// User administration.
    Users,
    /// Repositories.
    Repositories,
    /// Organizations.
    Orgs,
    /// Secrets of repos, orgs and the server.
    Secrets,
    /// Container registry credentials of repos, orgs and the server.
    Registries,
    /// Cron schedules.
    Cron,
    /// Forges.
    Forges,
    /// Agents.
    Agents,
    /// Status badges.
    Badges,
    /// Server administration.
    System,
}

/// Crons, forges, agents, badges and system administration.
type AdminApis = (crons::CronsApi, forges::ForgesApi, agents::AgentsApi, badges::BadgesApi, system::SystemApi);

/// The OpenAPI service of every `/api` operation.
pub fn service(state: &AppState) -> OpenApiService<(user::UserApi, users::UsersApi, repos::RepoApi, AdminApis), ()> {
    OpenApiService::new(
        (
            user::UserApi { state: state.clone() },
            users::UsersApi { state: state.clone() },
            repos::RepoApi { state: state.clone() },
            (
                crons::CronsApi { state: state.clone() },
                forges::ForgesApi { state: state.clone() },
                agents::AgentsApi { state: state.clone() },
                badges::BadgesApi { state: state.clone() },
                system::SystemApi { state: state.clone() },
            ),
        ),
        "Nuthatch API (Woodpecker-compatible)",
        version::version(),
    )
    .server("/api")
}
