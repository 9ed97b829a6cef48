//! The agent protocol (v16) over gRPC: `proto.Woodpecker` and `proto.WoodpeckerAuth` on one
//! plaintext HTTP/2 listener, as Woodpecker agents expect them (engine.md §1, §9).
//!
//! # Layout
//! - [`proto`]: the messages, services and clients generated from `proto/woodpecker.proto`.
//! - [`interceptor`]: access token and protocol version checks on every call but `Auth`.
//! - [`status`]: use case errors as gRPC statuses.
//! - [`woodpecker`], [`auth`]: the two services, translating messages to use case calls.
//! - [`listener`]: the TCP port or unix socket agents connect to.
//! - [`server`]: serving the services on that listener, with keepalive and graceful shutdown.
//! - [`client`]: the agent's side: the agent link port over a reconnecting channel.

pub mod auth;
pub mod client;
pub mod interceptor;
pub mod listener;
pub mod server;
pub mod status;
pub mod woodpecker;

/// Code generated from `proto/woodpecker.proto` (package `proto`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("proto");
}

pub use server::serve;
