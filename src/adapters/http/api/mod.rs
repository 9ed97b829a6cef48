//! The `/api` operations, described with poem-openapi so the OpenAPI document at
//! `/swagger/doc.json` is generated from the same code that serves them.
//!
//! Path parameters bind by position (a poem-openapi trap): every handler lists its `Path`
//! arguments in the order they appear in the path.
//!
//! # Layout
//! - [`user`] — the caller (`/user`, tokens); [`users`] — user administration.
//! - [`repos`] — repositories; [`orgs`] — organizations.
//! - [`secrets`], [`registries`] — credentials of repos, orgs and the server.
//! - [`crons`], [`forges`], [`agents`], [`badges`], [`system`] — the other resource groups.
//! - [`pipelines`], [`logs`], [`queue`] — pipeline runtime reads, step logs, the queue.
//! - [`pipeline_actions`] — start, restart, cancel, approve, decline, delete; run a cron now.

pub mod agents;
pub mod badges;
pub mod crons;
pub mod debug;
pub mod forges;
pub mod logs;
pub mod orgs;
pub mod pipeline_actions;
pub mod pipelines;
pub mod queue;
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
    /// Pipelines.
    Pipelines,
    /// Step logs.
    Logs,
    /// The queue of workflows waiting for agents.
    Queue,
}

/// The caller, users, repos and orgs.
type AccountApis = (user::UserApi, users::UsersApi, repos::RepoApi, orgs::OrgsApi);

/// Secrets and registries of every scope.
type CredentialApis = (secrets::SecretsApi, registries::RegistriesApi);

/// Crons, forges, agents, badges and system administration.
type AdminApis = (
    crons::CronsApi,
    forges::ForgesApi,
    agents::AgentsApi,
    badges::BadgesApi,
    system::SystemApi,
    debug::DebugApi,
);

/// Pipelines, their logs and the queue.
type ExecutionApis =
    (pipelines::PipelinesApi, pipeline_actions::PipelineActionsApi, logs::LogsApi, queue::QueueApi);

/// The OpenAPI service of every `/api` operation.
pub fn service(
    state: &AppState,
) -> OpenApiService<(AccountApis, CredentialApis, AdminApis, ExecutionApis), ()> {
    let s = || state.clone();
    let accounts = (
        user::UserApi { state: s() },
        users::UsersApi { state: s() },
        repos::RepoApi { state: s() },
        orgs::OrgsApi { state: s() },
    );
    let credentials = (secrets::SecretsApi { state: s() }, registries::RegistriesApi { state: s() });
    let admin = (
        crons::CronsApi { state: s() },
        forges::ForgesApi { state: s() },
        agents::AgentsApi { state: s() },
        badges::BadgesApi { state: s() },
        system::SystemApi { state: s() },
        debug::DebugApi { state: s() },
    );
    let execution = (
        pipelines::PipelinesApi { state: s() },
        pipeline_actions::PipelineActionsApi { state: s() },
        logs::LogsApi { state: s() },
        queue::QueueApi { state: s() },
    );
    OpenApiService::new(
        (accounts, credentials, admin, execution),
        "Nuthatch API (Woodpecker-compatible)",
        version::version(),
    )
    .server("/api")
}
