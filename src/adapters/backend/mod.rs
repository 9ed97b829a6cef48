//! Backends of the agent: where steps run.

pub mod local;
