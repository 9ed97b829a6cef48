//! `/api` operations on crons.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on crons.
pub struct CronsApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl CronsApi {}
