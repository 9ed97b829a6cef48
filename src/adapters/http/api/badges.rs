//! `/api` operations on badges.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on badges.
pub struct BadgesApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl BadgesApi {}
