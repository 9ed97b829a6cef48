//! Extensions over HTTP(S): the client for config, secret and registry services, and the two
//! signature forms it can sign with.
//!
//! # Layout
//! - [`client`]: signed JSON POSTs with retries and timeouts.
//! - [`hosts`]: the allow-list of hosts and addresses (`WOODPECKER_EXTENSIONS_ALLOWED_HOSTS`).
//! - [`rfc9421`]: HTTP Message Signatures, as Woodpecker 3.x signs.
//! - [`cavage`]: the `Signature:` header Woodpecker 2.x services verify.
//! - [`wire`]: the JSON of requests and answers.

pub mod cavage;
pub mod client;
pub mod hosts;
pub mod rfc9421;
pub mod wire;
