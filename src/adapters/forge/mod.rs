//! Forge adapters: implementations of the [`Forge`](crate::ports::forge::Forge) port, one module
//! per kind of code host.
//!
//! # Layout
//! - [`local`]: the built-in forge of bare git repositories on the server's disk.

pub mod local;
