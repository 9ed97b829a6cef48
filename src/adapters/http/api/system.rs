//! `/api` operations on system.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on system.
pub struct SystemApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl SystemApi {}
