//! Adapters: implementations of the ports, one module per technology.
//!
//! # Layout
//! - [`forge`]: code hosts; for now the built-in local forge of bare git repositories.
//! - [`http`]: the HTTP API (poem).
//! - [`sql`]: the store on SQLite, PostgreSQL and MySQL/MariaDB (diesel-async).

pub mod forge;
pub mod http;
pub mod sql;
