//! `/api/debug/pprof/*`: profiles of the running server for server admins, in the formats Go's
//! `net/http/pprof` serves, while the log level is debug or trace.
//!
//! Decisions (see each operation's description in the OpenAPI document):
//! - The level is read at request time, not only at start as upstream does: an admin can switch
//!   profiling on with `POST /api/log-level` without a restart. Below debug, every profiling path
//!   answers as an unknown `/api` path does (404), as upstream's unregistered routes do.
//! - `profile` (CPU, pprof-rs) and `heap` (jemalloc) are gzip'd pprof protobuf; `goroutine` is a
//!   text report of tokio's stable runtime metrics (per-task stacks need a `tokio_unstable`
//!   build); `cmdline` and `symbol` behave as Go's.
//! - Go-only profiles (`block`, `mutex`, `threadcreate`, `allocs`, `trace`) have no analogue in a
//!   Rust server: they answer 404 with a text saying so, as Go answers a profile it does not have.

use std::time::Duration;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Html, PlainText};
use poem_openapi::{ApiResponse, OpenApi};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::{fallback, guard};
use crate::app::profiling::{self, ProfilingError};

/// The longest CPU profile one request may take.
const MAX_PROFILE_SECONDS: u64 = 300;

/// Profiles of Go's pprof that have no analogue here, with the reason given to the caller.
const GO_ONLY: [(&str, &str); 5] = [
    ("allocs", "Go's record of all past allocations; jemalloc samples live memory only: use heap"),
    ("block", "Go's blocking on channels and sync primitives; async tasks do not block threads"),
    ("mutex", "Go's mutex contention; tokio and std locks record no contention profile"),
    ("threadcreate", "Go's stacks that created OS threads; the runtime's thread pool records none"),
    ("trace", "Go's execution tracer; use the debug/trace log level for request traces"),
];

/// Profiling operations.
pub struct DebugApi {
    /// Shared state.
    pub state: AppState,
}

/// A pprof profile.
#[derive(ApiResponse)]
pub enum Profile {
    /// Gzip'd pprof protobuf (`go tool pprof` reads it).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Pprof(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

#[OpenApi(tag = "ApiTags::System")]
impl DebugApi {
    /// Lists the profiles (HTML). Server admins only, and only while the log level is debug or
    /// trace (404 otherwise, like any unknown path).
    #[oai(path = "/debug/pprof", method = "get", operation_id = "getDebugPprofIndex")]
    async fn index(&self, caller: Data<&Caller>) -> poem::Result<Html<String>> {
        self.allowed(&caller)?;
        Ok(Html(index_page()))
    }

    /// CPU profile: samples every thread for `seconds` (1 to 300) and answers a gzip'd pprof
    /// protobuf. One at a time: a second concurrent request gets 500. Server admins only, while
    /// the log level is debug or trace.
    #[oai(path = "/debug/pprof/profile", method = "get", operation_id = "getDebugPprofProfile")]
    async fn profile(&self, caller: Data<&Caller>, seconds: Query<u64>) -> poem::Result<Profile> {
        self.allowed(&caller)?;
        if seconds.0 == 0 || seconds.0 > MAX_PROFILE_SECONDS {
            return Err(ApiError::bad_request(format!(
                "seconds must be between 1 and {MAX_PROFILE_SECONDS}"
            ))
            .into());
        }
        let bytes = profiling::cpu_profile(Duration::from_secs(seconds.0)).await.map_err(failure)?;
        Ok(Profile::Pprof(Binary(bytes), "attachment; filename=\"profile\"".to_owned()))
    }

    /// Heap profile: jemalloc's sampled live allocations as a gzip'd pprof protobuf
    /// (`inuse_space`). Sampling starts with the server when it starts at debug or trace level,
    /// else with the first heap request (whose profile then holds little). `gc` is accepted and
    /// ignored: there is no garbage collector. 500 when the process does not run on jemalloc.
    /// Server admins only, while the log level is debug or trace.
    #[oai(path = "/debug/pprof/heap", method = "get", operation_id = "getDebugPprofHeap")]
    async fn heap(&self, caller: Data<&Caller>, gc: Query<Option<String>>) -> poem::Result<Profile> {
        self.allowed(&caller)?;
        let _ = gc;
        let bytes = profiling::heap_profile().await.map_err(failure)?;
        Ok(Profile::Pprof(Binary(bytes), "attachment; filename=\"heap\"".to_owned()))
    }

    /// The async runtime's tasks (Go: goroutines), as text from tokio's stable runtime metrics:
    /// alive tasks, workers, queue depth, per-worker busy time. Per-task stack traces need
    /// tokio's task dump, which only a `tokio_unstable` build has. `debug` is accepted and
    /// ignored (always text). Server admins only, while the log level is debug or trace.
    #[oai(path = "/debug/pprof/goroutine", method = "get", operation_id = "getDebugPprofGoroutine")]
    async fn goroutine(
        &self,
        caller: Data<&Caller>,
        debug: Query<Option<i64>>,
    ) -> poem::Result<PlainText<String>> {
        self.allowed(&caller)?;
        let _ = debug;
        Ok(PlainText(profiling::task_report()))
    }

    /// The command line, arguments separated by NUL bytes. Server admins only, while the log
    /// level is debug or trace.
    #[oai(path = "/debug/pprof/cmdline", method = "get", operation_id = "getDebugPprofCmdline")]
    async fn cmdline(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        self.allowed(&caller)?;
        Ok(PlainText(profiling::command_line()))
    }

    /// Symbol lookup for pprof tools: answers `num_symbols: 0`, which tells them to symbolize
    /// locally. Profiles served here already carry function names where the binary has them.
    /// Server admins only, while the log level is debug or trace.
    #[oai(path = "/debug/pprof/symbol", method = "get", operation_id = "getDebugPprofSymbol")]
    async fn symbol(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        self.allowed(&caller)?;
        Ok(PlainText(NO_SYMBOL_SERVICE.to_owned()))
    }

    /// Symbol lookup (POST form of the same).
    #[oai(path = "/debug/pprof/symbol", method = "post", operation_id = "postDebugPprofSymbol")]
    async fn symbol_post(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        self.allowed(&caller)?;
        Ok(PlainText(NO_SYMBOL_SERVICE.to_owned()))
    }

    /// Any other profile name. Go-only profiles (`allocs`, `block`, `mutex`, `threadcreate`,
    /// `trace`) have no analogue in Nuthatch: 404 with a text that says why; unknown names get
    /// 404 `Unknown profile`. Server admins only, while the log level is debug or trace.
    #[oai(path = "/debug/pprof/:name", method = "get", operation_id = "getDebugPprofOther")]
    async fn other(&self, caller: Data<&Caller>, name: Path<String>) -> poem::Result<PlainText<String>> {
        self.allowed(&caller)?;
        let text = match GO_ONLY.iter().find(|(go, _)| *go == name.0) {
            Some((go, why)) => format!("Unknown profile: {go} has no analogue in Nuthatch ({why})\n"),
            None => "Unknown profile\n".to_owned(),
        };
        // An error answer, so the document lists it with the other plain-text errors.
        Err(ApiError::new(StatusCode::NOT_FOUND, text).into())
    }
}

/// What the symbol endpoint answers: no symbol service (pprof tools then symbolize locally).
const NO_SYMBOL_SERVICE: &str = "num_symbols: 0\n";

impl DebugApi {
    /// Profiling is routed only while the level is debug or trace (else the unknown-path 404),
    /// and then only for server admins (401 anonymous, 403 other users).
    fn allowed(&self, caller: &Caller) -> poem::Result<()> {
        if !self.state.telemetry.log_level.verbose() {
            return Err(poem::Error::from_response(fallback::not_found_response()));
        }
        guard::admin(caller)?;
        Ok(())
    }
}

/// Upstream's status for a profile that cannot be taken: 500 with the reason.
fn failure(e: ProfilingError) -> poem::Error {
    tracing::warn!(error = %e, "profile failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into()
}

/// The HTML index of the profiles.
fn index_page() -> String {
    let served = [
        ("profile?seconds=30", "CPU profile (pprof protobuf)"),
        ("heap", "sampled live heap allocations (pprof protobuf)"),
        ("goroutine", "async runtime tasks and workers (text)"),
        ("cmdline", "the command line"),
        ("symbol", "symbol lookup (none: profiles come symbolized)"),
    ];
    let mut rows: String = served
        .iter()
        .map(|(path, what)| format!("<tr><td><a href=\"pprof/{path}\">{path}</a></td><td>{what}</td></tr>\n"))
        .collect();
    rows.extend(
        GO_ONLY.iter().map(|(go, why)| format!("<tr><td>{go}</td><td>no analogue: {why}</td></tr>\n")),
    );
    format!(
        "<!DOCTYPE html>\n<html><head><title>/debug/pprof</title></head><body>\n\
         <h1>/debug/pprof</h1>\n<table>\n{rows}</table>\n</body></html>\n"
    )
}
