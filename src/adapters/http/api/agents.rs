//! `/api` operations on agents.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on agents.
pub struct AgentsApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl AgentsApi {}
