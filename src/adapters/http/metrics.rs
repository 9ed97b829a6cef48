//! `GET /metrics`: Prometheus gauges behind a static bearer token (api.md §1.1). Without
//! `WOODPECKER_PROMETHEUS_AUTH_TOKEN` the route does not exist (404); a request without an
//! `Authorization` header is 401 and one with any other value than `Bearer <token>` is 403.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use crate::adapters::http::AppState;
use crate::adapters::http::api::system::prometheus_text;
use crate::adapters::http::error::ApiError;

/// The refusal text upstream answers 401 and 403 with.
const REFUSED: &str = "invalid or missing token";

/// Serves the gauges to a caller presenting the configured token.
#[handler]
pub async fn metrics(req: &Request, state: Data<&AppState>) -> poem::Result<Response> {
    let Some(token) = &state.telemetry.prometheus_auth_token else {
        return Err(ApiError::not_found().into());
    };
    let Some(header) = req.headers().get("authorization") else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, REFUSED).into());
    };
    // Upstream compares the whole header as a string, so only this exact spelling passes.
    if header.as_bytes() != format!("Bearer {token}").as_bytes() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, REFUSED).into());
    }
    let text = prometheus_text(&state).await?;
    Ok(Response::builder().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
