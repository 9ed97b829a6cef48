//! The HTTP adapter: routes, authentication, global headers and the mapping of errors to status
//! codes. Handlers stay thin: they check who is calling, call a use case, and shape the answer.
//!
//! # Layout
//! - [`api`]: the `/api` operations (poem-openapi), documented at `/swagger`.
//! - [`dto`]: wire shapes of the API.
//! - [`auth`], [`guard`]: who is calling, and what they may do.
//! - [`error`]: status codes and bodies of failures.
//! - [`listener`]: the TCP port or unix socket the API is served on.
//! - [`hook`]: the webhook receiver; [`web`]: login, logout, `/web-config.js`.
//! - [`metrics`]: `/metrics` for Prometheus; [`openapi_doc`]: the document at `/swagger/doc.json`.
//! - [`stream`]: the server-sent event streams of pipeline events and live logs.
//! - [`strict_json`]: request bodies that must match the document's types.
//! - [`system`]: health and version; [`headers`]: headers on every response; [`allow`]: the
//!   `Allow` header of 405 and `OPTIONS` answers;
//!   [`fallback`]: what unknown `/api` paths get.

pub mod allow;
pub mod api;
pub mod auth;
pub mod dto;
pub mod error;
pub mod fallback;
pub mod guard;
pub mod headers;
pub mod hook;
pub mod listener;
pub mod metrics;
pub mod openapi_doc;
pub mod stream;
pub mod strict_json;
pub mod system;
pub mod web;

use std::sync::Arc;

use poem::error::NotFoundError;
use poem::http::Method;
use poem::middleware::CookieJarManager;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Route, get, post};

use crate::adapters::http::allow::AllowedMethods;
use crate::app::engine::Engine;
use crate::app::hook::Hooks;
use crate::app::identity::Identity;
use crate::app::pipelines::Pipelines;
use crate::app::repos::Repos;
use crate::app::signing_key::SigningKey;
use crate::app::telemetry::Telemetry;
use crate::ports::forge::Forge;
use crate::ports::store::Store;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Login and tokens.
    pub identity: Identity,
    /// Repo activation.
    pub repos: Repos,
    /// Webhook reception.
    pub hooks: Hooks,
    /// The forge, for reads that need no use case (branches, pull requests, org membership).
    pub forge: Arc<dyn Forge>,
    /// Public URL of the server.
    pub host: String,
    /// Log level and metrics settings.
    pub telemetry: Telemetry,
    /// Queue, pub/sub and logs of pipeline execution.
    pub engine: Engine,
    /// The pipeline lifecycle: create, restart, approve, cancel, delete.
    pub pipelines: Pipelines,
    /// The key extension requests are signed with (its public half is served to extensions).
    pub signing_key: Arc<SigningKey>,
}

/// The whole HTTP application.
pub fn routes(state: AppState) -> impl Endpoint {
    let api = api::service(&state);
    let doc = openapi_doc::document(&api.spec());
    let mut allowed = AllowedMethods::from_openapi(&doc, "/api");
    for (path, methods) in PLAIN_ROUTES {
        allowed.add(path, methods.iter().cloned());
    }
    let spec = openapi_doc::endpoint(doc);
    let swagger = api.swagger_ui();
    let api =
        api.into_endpoint().catch_error(|_: NotFoundError| async move { fallback::not_found_response() });
    Route::new()
        .at("/healthz", get(system::healthz))
        .at("/version", get(system::version))
        .at("/metrics", get(metrics::metrics))
        .at("/authorize", get(web::login_form).post(web::login))
        .at("/logout", get(web::logout))
        .at("/web-config.js", get(web::web_config))
        .at("/api/hook", post(hook::receive))
        .at("/api/stream/events", get(stream::events))
        .at("/api/stream/logs/:repo_id/:pipeline/:step_id", get(stream::logs))
        .nest("/api", api)
        .at("/swagger/doc.json", spec)
        .nest("/swagger", swagger)
        .with(auth::Authenticate::new(state.store.clone()))
        .with(CookieJarManager::new())
        .data(state)
        .with(headers::GlobalHeaders::new())
        .with(allowed)
}

/// The methods of the routes served outside the OpenAPI document, for `Allow` headers.
const PLAIN_ROUTES: [(&str, &[Method]); 9] = [
    ("/healthz", &[Method::GET]),
    ("/version", &[Method::GET]),
    ("/metrics", &[Method::GET]),
    ("/authorize", &[Method::GET, Method::POST]),
    ("/logout", &[Method::GET]),
    ("/web-config.js", &[Method::GET]),
    ("/api/hook", &[Method::POST]),
    ("/api/stream/events", &[Method::GET]),
    ("/api/stream/logs/:repo_id/:pipeline/:step_id", &[Method::GET]),
];
