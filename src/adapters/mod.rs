//! Adapters: implementations of the ports, one module per technology.
//!
//! # Layout
//! - [`forge`]: code hosts; for now the built-in local forge of bare git repositories.
//! - [`http`]: the HTTP API (poem).
//! - [`grpc`]: the agent protocol.
//! - [`sql`]: the store and the durable queue on SQLite, PostgreSQL and MySQL/MariaDB.
//! - [`memory`]: in-process queue, pub/sub and live logs (one server).
//! - [`redis`]: queue, pub/sub and live logs shared by several servers.
//! - [`backend`]: where an agent runs steps (local processes, Docker containers).
//! - [`fs`]: step logs in files.
//! - [`extension`]: signed HTTP calls to config, secret and registry extensions.
//! - [`crypto`]: the cipher sealing credentials at rest (AES-256-GCM).
//! - [`socket`]: listen addresses, TCP or unix socket, and binding unix sockets.
//! - [`process`]: the running process (giving back code pages only startup ran).
//! - [`tls`]: client TLS settings (rustls on ring, the system's roots).

pub mod backend;
pub mod crypto;
pub mod extension;
pub mod forge;
pub mod fs;
pub mod grpc;
pub mod http;
pub mod memory;
pub mod process;
pub mod redis;
pub mod socket;
pub mod sql;
pub mod tls;

/// An error and its causes, joined with `: ` (a library's top-level message alone often says
/// little: hyper's "client error (Connect)", a pool's "timed out").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
