//! System endpoints outside `/api`: liveness and version.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use crate::adapters::http::AppState;
use crate::app::version as server_version;

/// `GET /healthz`: 204 when the store answers, 500 with the reason as text otherwise.
#[handler]
pub async fn healthz(state: Data<&AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    }
}

/// `GET /version`: where the source is and which (Woodpecker-compatible) version this is.
#[handler]
pub async fn version() -> Json<serde_json::Value> {
    Json(json!({ "source": server_version::SOURCE, "version": server_version::version() }))
}
