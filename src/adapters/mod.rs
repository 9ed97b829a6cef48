//! Adapters: implementations of the ports, one module per technology.
//!
//! # Layout
//! - [`http`]: the HTTP API (poem).
//! - `sql`: the store on SQLite, PostgreSQL and MySQL/MariaDB (diesel-async).

pub mod http;
