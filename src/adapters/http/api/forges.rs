//! `/api` operations on forges.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on forges.
pub struct ForgesApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl ForgesApi {}
