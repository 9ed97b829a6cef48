//! Nuthatch: a CI server that speaks Woodpecker CI's REST API, agent protocol and pipeline YAML.
//!
//! The crate is laid out hexagonally, so that storage, queues and forges are plugged in from
//! configuration and the rules stay in one place.
//!
//! # Layout
//! - [`domain`]: aggregates and their rules, plain Rust.
//! - [`ports`]: the traits for everything outside (stores, ...), with typed errors.
//! - [`adapters`]: implementations of the ports, one folder per technology, and the HTTP API.
//! - [`app`]: configuration, use cases and the wiring that picks adapters.

pub mod adapters;
pub mod app;
pub mod domain;
pub mod ports;
