//! Unknown paths under `/api` get a JSON 404, so clients see an API error rather than HTML.

use poem::http::StatusCode;
use poem::web::Json;
use poem::{IntoResponse, Request, Response, handler};
use serde_json::json;

/// Answers any request under `/api` that no route matched.
#[handler]
pub async fn unknown_api(req: &Request) -> Response {
    let body = json!({ "error": "not found", "path": req.original_uri().path() });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}
