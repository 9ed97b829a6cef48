//! Ports: the traits through which the application talks to everything outside it. Each port
//! has typed errors, and one contract test suite under `tests/` that every adapter passes.
//!
//! # Layout
//! - [`clock`]: the current time.
//! - [`cipher`]: sealing credentials before they are stored.
//! - [`forge`]: code hosts: identity, repos, files, webhooks and commit statuses.
//! - [`store`]: persistence, one trait per aggregate.
//! - [`queue`]: workflows waiting for agents, leases, dependencies.
//! - [`pubsub`]: pipeline events for live viewers; [`livelog`]: lines of running steps.
//! - [`logs`]: stored step logs (database or files).
//! - [`backend`]: what runs steps on an agent (local processes, Docker).
//! - [`agent_link`]: the server as an agent sees it (the agent protocol's client side).
//! - [`extension`]: signed HTTP calls to config, secret and registry extensions.

pub mod agent_link;
pub mod backend;
pub mod cipher;
pub mod clock;
pub mod extension;
pub mod forge;
pub mod livelog;
pub mod logs;
pub mod pubsub;
pub mod queue;
pub mod store;
