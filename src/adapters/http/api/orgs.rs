//! `/api` operations on orgs.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on orgs.
pub struct OrgsApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl OrgsApi {}
