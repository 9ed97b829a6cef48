//! Adapters on the local file system.

pub mod logs;
