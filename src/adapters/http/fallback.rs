//! Unknown paths under `/api` get a JSON 404, so clients see an API error rather than HTML.

use poem::http::StatusCode;
use poem::web::Json;
use poem::{IntoResponse, Response};
use serde_json::json;

/// The answer to an `/api` request no route matched.
pub fn not_found_response() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))).into_response()
}
