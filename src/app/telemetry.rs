//! Logging with tracing: the level from `WOODPECKER_LOG_LEVEL` (or `RUST_LOG` for fine-grained
//! filters), text or JSON lines on stderr. The level filter sits behind a reload layer so
//! `POST /api/log-level` changes it while the server runs.

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock, RwLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, fmt, reload};

use crate::app::config::{LogConfig, LogFormat};

/// The reload handle of the installed subscriber's filter (unset until [`init`] runs, e.g. in
/// tests that start a server without installing a subscriber).
static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// Level names upstream accepts (zerolog's).
pub const LEVELS: [&str; 8] = ["trace", "debug", "info", "warn", "error", "fatal", "panic", "disabled"];

/// Installs the global subscriber. Safe to call more than once (later calls are ignored), which
/// tests rely on.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_directive(&config.log_level)));
    let (filter, handle) = reload::Layer::new(filter);
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match config.log_format {
        // Colours only for a person at a terminal, not in log files and collectors.
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal()))
            .try_init(),
        LogFormat::Json => registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init(),
    };
    if installed.is_ok() {
        let _ = FILTER.set(handle);
    }
}

/// The server's log level as the API shows and changes it.
#[derive(Debug, Clone)]
pub struct LogLevel {
    current: Arc<RwLock<&'static str>>,
}

/// A level name upstream does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log level '{0}'")]
pub struct UnknownLevel(pub String);

impl LogLevel {
    /// The level the server started with (upstream's names; unknown ones read as `info`).
    pub fn new(initial: &str) -> Self {
        let initial = canonical(initial).unwrap_or("info");
        Self { current: Arc::new(RwLock::new(initial)) }
    }

    /// The current level name.
    pub fn get(&self) -> &'static str {
        *self.current.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the level is debug or trace (profiling is served then).
    pub fn verbose(&self) -> bool {
        matches!(self.get(), "debug" | "trace")
    }

    /// Changes the level of the running subscriber (if one was installed) and returns the
    /// level's name.
    ///
    /// # Errors
    /// [`UnknownLevel`] for a name outside upstream's list; nothing changes then.
    pub fn set(&self, name: &str) -> Result<&'static str, UnknownLevel> {
        let level = canonical(name).ok_or_else(|| UnknownLevel(name.to_owned()))?;
        if let Some(handle) = FILTER.get()
            && let Err(e) = handle.reload(EnvFilter::new(level_directive(level)))
        {
            tracing::warn!(error = %e, "cannot change the log level");
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = level;
        tracing::info!(level, "log level changed");
        Ok(level)
    }
}

/// Telemetry settings handlers reach: the log level and the metrics token.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// The running log level.
    pub log_level: LogLevel,
    /// Bearer token `/metrics` requires; `None` disables `/metrics`.
    pub prometheus_auth_token: Option<String>,
}

/// Upstream's spelling of a level name, case-insensitively (`warning` and `off` accepted).
fn canonical(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    let name = match name.as_str() {
        "warning" => "warn",
        "off" => "disabled",
        other => other,
    };
    LEVELS.into_iter().find(|l| *l == name)
}

/// Maps upstream's level names (zerolog's, which include `fatal`, `panic` and `disabled`) to a
/// tracing directive.
fn level_directive(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "warn" | "warning" => "warn",
        "error" | "fatal" | "panic" => "error",
        "disabled" | "off" => "off",
        _ => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_level_names_map_to_tracing_levels() {
        assert_eq!(level_directive("DEBUG"), "debug");
        assert_eq!(level_directive("fatal"), "error");
        assert_eq!(level_directive("disabled"), "off");
        assert_eq!(level_directive("nonsense"), "info");
    }

    #[test]
    fn the_level_changes_only_to_known_names() {
        let level = LogLevel::new("WARN");
        assert_eq!(level.get(), "warn");
        assert_eq!(level.set("Debug"), Ok("debug"));
        assert_eq!(level.get(), "debug");
        assert_eq!(level.set("loud"), Err(UnknownLevel("loud".into())));
        assert_eq!(level.get(), "debug");
    }
}
