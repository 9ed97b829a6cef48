//! Backends of the agent: where steps run.
//!
//! - [`local`]: processes of the agent's machine.
//! - [`docker`]: containers of a Docker daemon (Docker Engine API through bollard).
//! - [`script`]: the shell script of `commands` steps, shared by both.

pub mod docker;
pub mod local;
pub mod script;

/// Keeps a task id or step name usable in directory, container, network and volume names.
pub(crate) fn safe_name(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}
