//! `/api` operations on secrets.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on secrets.
pub struct SecretsApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl SecretsApi {}
