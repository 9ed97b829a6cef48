//! Where the server listens and agents connect: a TCP address or a unix socket (`unix://`), as
//! upstream accepts in `WOODPECKER_SERVER_ADDR`, `WOODPECKER_GRPC_ADDR` and `WOODPECKER_SERVER`.
//!
//! # Layout
//! - [`addr`]: [`ListenAddr`], parsed from the settings and reported once bound.
//! - [`unix`]: binding a unix socket: a stale file replaced, the configured mode, the file
//!   removed again on stop.

pub mod addr;
pub mod unix;

pub use addr::{ListenAddr, unix_socket_path};
