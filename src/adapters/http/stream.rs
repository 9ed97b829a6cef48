//! The two server-sent event streams (clients-and-users.md §1a, api.md §4.9–4.10):
//! `/api/stream/events`, every pipeline change of the repos the caller may see, and
//! `/api/stream/logs/{repo}/{pipeline}/{step}`, the live lines of one running step.
//!
//! They are plain poem handlers (poem-openapi cannot describe an endless stream) behind the
//! same token-or-cookie authentication as every `/api` route.
//!
//! # Layout
//! - [`sse`] — event-stream framing, pings and the response headers.

pub mod sse;

use std::collections::HashMap;

use futures_util::{StreamExt, stream};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use poem_openapi::types::ToJSON;

use crate::adapters::http::AppState;
use crate::adapters::http::api::pipelines::lookup;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::log::LogEntryDto;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::domain::perm::Access;
use crate::domain::status::Status;
use crate::ports::livelog::Tail;
use crate::ports::pubsub::{Event, Subscription};

/// Who is watching the event stream, and which repos they were found to see (permissions
/// are looked up once per repo and connection, as upstream computes its topics at connect).
struct Viewer {
    state: AppState,
    caller: Caller,
    visible: HashMap<i64, bool>,
}

impl Viewer {
    /// Whether the caller may see the event's repo: public repos are everyone's, others need
    /// pull permission by the usual rules.
    async fn may_see(&mut self, event: &Event) -> bool {
        if event.public {
            return true;
        }
        if let Some(&known) = self.visible.get(&event.repo_id) {
            return known;
        }
        let seen = match guard::repo_with_perm(&self.state, &self.caller, event.repo_id).await {
            Ok((_, perm)) => perm.allows(Access::Pull),
            // A store failure is not an answer: ask again at the next event.
            Err(e) if e.status == StatusCode::INTERNAL_SERVER_ERROR => return false,
            Err(_) => false,
        };
        self.visible.insert(event.repo_id, seen);
        seen
    }
}

/// The events the viewer may see, as `data:` messages without id or name.
fn visible_events(subscription: Subscription, viewer: Viewer) -> impl futures_util::Stream<Item = Vec<u8>> {
    stream::unfold((subscription, viewer), |(mut subscription, mut viewer)| async move {
        while let Some(event) = subscription.next().await {
            if viewer.may_see(&event).await {
                let frame = sse::message(None, None, &String::from_utf8_lossy(&event.data));
                return Some((frame, (subscription, viewer)));
            }
        }
        None
    })
}

/// The caller the authentication middleware put on the request.
fn caller_of(req: &Request) -> Caller {
    req.extensions().get::<Caller>().cloned().unwrap_or_default()
}

/// `GET /api/stream/events`: every pipeline event of a repo the caller may see, from now on.
#[handler]
pub async fn events(req: &Request, state: Data<&AppState>) -> Response {
    let subscription = match state.engine.pubsub.subscribe().await {
        Ok(s) => s,
        Err(e) => return poem::Error::from(ApiError::internal(&e)).into_response(),
    };
    let viewer = Viewer { state: state.clone(), caller: caller_of(req), visible: HashMap::new() };
    sse::response(visible_events(subscription, viewer))
}

/// Why a log stream cannot be followed; the text is what the `error` event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogStreamError {
    PipelineNumberInvalid,
    PipelineNotFound,
    StepIdInvalid,
    StepNotFound,
    StepNotRunning,
    CannotOpen,
}

impl LogStreamError {
    /// Upstream's text for it.
    fn text(self) -> &'static str {
        match self {
            Self::PipelineNumberInvalid => "pipeline number invalid",
            Self::PipelineNotFound => "pipeline not found",
            Self::StepIdInvalid => "step id invalid",
            Self::StepNotFound => "process not found",
            Self::StepNotRunning => "step not running (anymore)",
            Self::CannotOpen => "can't open stream",
        }
    }
}

/// The tail of a running step of the repo, after `last_seen`.
async fn open_tail(
    state: &AppState,
    repo_id: i64,
    pipeline: &str,
    step_id: &str,
    last_seen: u64,
) -> Result<Tail, LogStreamError> {
    let store = state.store.as_ref();
    let number: i64 = pipeline.parse().map_err(|_| LogStreamError::PipelineNumberInvalid)?;
    let pipeline = lookup::pipeline(store, repo_id, number)
        .await
        .map_err(|_| LogStreamError::PipelineNotFound)?
        .ok_or(LogStreamError::PipelineNotFound)?;
    let step_id: i64 = step_id.parse().map_err(|_| LogStreamError::StepIdInvalid)?;
    let step = lookup::step(store, &pipeline, step_id)
        .await
        .map_err(|_| LogStreamError::StepNotFound)?
        .ok_or(LogStreamError::StepNotFound)?;
    if !matches!(step.state, Status::Pending | Status::Running) {
        return Err(LogStreamError::StepNotRunning);
    }
    state.engine.livelog.tail(step.id, last_seen).await.map_err(|e| {
        tracing::warn!(error = %e, step = step.id, "cannot open live log");
        LogStreamError::CannotOpen
    })
}

/// The number in the `Last-Event-ID` header (0 when absent or not a number).
fn last_event_id(req: &Request) -> u64 {
    req.headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Each line as `id: <n>` + `data: <LogEntry JSON>`, then `event: eof`.
fn log_frames(tail: Tail) -> impl futures_util::Stream<Item = Vec<u8>> {
    let lines = tail.map(|item| {
        let json = LogEntryDto::from(&item.entry).to_json().unwrap_or_default();
        sse::message(Some(item.seq), None, &json.to_string())
    });
    lines.chain(stream::once(async { sse::message(None, Some("eof"), "eof") }))
}

/// `GET /api/stream/logs/{repo_id}/{pipeline}/{step_id}`: the lines of a pending or running
/// step: those buffered so far (after `Last-Event-ID`), then live ones, then `eof`. Problems
/// found after the repo check are reported in-band as an `error` event.
#[handler]
pub async fn logs(
    req: &Request,
    state: Data<&AppState>,
    Path((repo_id, pipeline, step_id)): Path<(String, String, String)>,
) -> Response {
    let Ok(repo_id) = repo_id.parse::<i64>() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let caller = caller_of(req);
    if let Err(e) = guard::repo(&state, &caller, repo_id, Access::Pull).await {
        return poem::Error::from(e).into_response();
    }
    match open_tail(&state, repo_id, &pipeline, &step_id, last_event_id(req)).await {
        Ok(tail) => sse::response(log_frames(tail)),
        Err(e) => sse::response(stream::once(async move { sse::message(None, Some("error"), e.text()) })),
    }
}
