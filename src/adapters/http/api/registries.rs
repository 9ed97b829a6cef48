//! `/api` operations on registries.

use poem_openapi::OpenApi;

use crate::adapters::http::AppState;

/// Operations on registries.
pub struct RegistriesApi {
    /// Shared state.
    pub state: AppState,
}

#[OpenApi]
impl RegistriesApi {}
