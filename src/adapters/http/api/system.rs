//! `/api/log-level` (server admins): reading and changing the running log level; the server's
//! public signing key; and the figures `/metrics` exposes.

use poem::web::Data;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{Object, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::users::every_page;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::ports::store::StoreError;

/// Operations on system.
pub struct SystemApi {
    /// Shared state.
    pub state: AppState,
}

/// The log level, in upstream's names (trace, debug, info, warn, error, fatal, panic, disabled).
#[derive(Debug, Clone, Object)]
#[oai(rename = "LogLevel")]
pub struct LogLevelDto {
    /// The level.
    #[oai(rename = "log-level")]
    pub log_level: String,
}

#[OpenApi(tag = "ApiTags::System")]
impl SystemApi {
    /// The server's current log level (server admins only).
    #[oai(path = "/log-level", method = "get", operation_id = "getLogLevel")]
    async fn get_log_level(&self, caller: Data<&Caller>) -> poem::Result<Json<LogLevelDto>> {
        guard::admin(&caller)?;
        Ok(Json(LogLevelDto { log_level: self.state.telemetry.log_level.get().to_owned() }))
    }

    /// Changes the server's log level at once (server admins only).
    #[oai(path = "/log-level", method = "post", operation_id = "setLogLevel")]
    async fn set_log_level(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<LogLevelDto>,
    ) -> poem::Result<Json<LogLevelDto>> {
        guard::admin(&caller)?;
        let level = self
            .state
            .telemetry
            .log_level
            .set(&body.0.log_level)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Json(LogLevelDto { log_level: level.to_owned() }))
    }

    /// The Ed25519 public key extension requests are signed with, as a PEM `PUBLIC KEY` block
    /// (open to anyone, as in 3.x: extensions fetch it to verify signatures).
    #[oai(path = "/signature/public-key", method = "get", operation_id = "getSignaturePublicKey")]
    async fn signature_public_key(&self) -> PlainText<String> {
        PlainText(self.state.signing_key.public_key_pem())
    }
}

/// The Prometheus text exposition of the server's gauges, counted from the store.
///
/// # Errors
/// Store failures.
pub async fn prometheus_text(state: &AppState) -> Result<String, StoreError> {
    let store = &state.store;
    let users = every_page(|page| store.list_users(page)).await?.len();
    let repos = every_page(|page| store.list_repos(false, page)).await?.len();
    let agents = every_page(|page| store.list_agents(None, page)).await?.len();
    let tasks = store.list_tasks().await?;
    let running = tasks.iter().filter(|t| t.agent_id != 0).count();
    let gauges = [
        ("woodpecker_user_count", "Total number of users.", users),
        ("woodpecker_repo_count", "Total number of repos.", repos),
        ("nuthatch_agent_count", "Total number of registered agents.", agents),
        ("nuthatch_pending_tasks", "Workflows waiting in the queue.", tasks.len() - running),
        ("nuthatch_running_tasks", "Workflows taken by an agent.", running),
    ];
    Ok(gauges
        .iter()
        .map(|(name, help, value)| format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"))
        .collect())
}
