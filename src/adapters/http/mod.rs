//! The HTTP adapter: routes, global headers and the mapping of errors to status codes.
//!
//! # Layout
//! - [`system`]: health and version, outside `/api`.
//! - [`headers`]: the headers upstream sets on every response.
//! - [`fallback`]: what unknown paths get.

pub mod fallback;
pub mod headers;
pub mod system;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route, get};

use crate::ports::store::Store;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
}

/// The whole HTTP application.
pub fn routes(state: AppState) -> impl Endpoint {
    Route::new()
        .at("/healthz", get(system::healthz))
        .at("/version", get(system::version))
        .nest("/api", fallback::unknown_api)
        .data(state)
        .with(headers::GlobalHeaders::new())
}
