//! Logging with tracing: the level from `WOODPECKER_LOG_LEVEL` (or `RUST_LOG` for fine-grained
//! filters), text or JSON lines on stderr.

use tracing_subscriber::EnvFilter;

use crate::app::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Safe to call more than once (later calls are ignored), which
/// tests rely on.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_directive(&config.log_level)));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
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
}
