//! `POST /api/hook`: the forge webhook receiver. Outside the OpenAPI service because its body is
//! whatever the forge sends, read raw.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::auth::presented_token;
use crate::adapters::http::dto::pipeline::PipelineDto;
use crate::adapters::http::error::ApiError;
use crate::app::hook::{HookError, HookResult};
use crate::ports::forge::{ForgeError, HookRequest};

/// Largest webhook body accepted; forges send far less.
const MAX_HOOK_BODY: usize = 10 * 1024 * 1024;

/// Receives one webhook.
#[handler]
pub async fn receive(req: &Request, body: Body, state: Data<&AppState>) -> Response {
    let body = match body.into_bytes_limit(MAX_HOOK_BODY).await {
        Ok(bytes) => bytes.to_vec(),
        Err(e) => return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response(),
    };
    let request = HookRequest {
        method: req.method().to_string(),
        headers: req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_owned())))
            .collect(),
        body,
    };
    match state.hooks.receive(&request, presented_token(req).as_deref()).await {
        Ok(HookResult::Created(pipeline)) => Json(PipelineDto::from(pipeline.as_ref())).into_response(),
        Ok(HookResult::Ignored(reason)) => (StatusCode::OK, reason).into_response(),
        Ok(HookResult::Filtered) => {
            Response::builder().status(StatusCode::NO_CONTENT).header("Pipeline-Filtered", "true").finish()
        }
        Err(HookError::BadToken) => ApiError::bad_request(HookError::BadToken.to_string()).into_response(),
        Err(HookError::Forge(ForgeError::InvalidHook(why))) => ApiError::bad_request(why).into_response(),
        Err(HookError::Forge(e)) => ApiError::from(e).into_response(),
        Err(HookError::Store(e)) => ApiError::from(e).into_response(),
        Err(HookError::Pipeline(e)) => ApiError::from(e).into_response(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}
