//! Black-box tests of the HTTP server: each test starts a real server on a random port with a
//! database of its own and talks HTTP to it.

#[path = "../common/server.rs"]
mod test_server;

#[path = "../common/git.rs"]
mod git;
#[path = "../common/hook.rs"]
mod hook;
#[path = "../common/process.rs"]
mod server_process;
#[path = "../common/signatures.rs"]
mod signatures;

mod admin;
mod agents;
mod badges;
mod coverage;
mod crons;
mod debug;
mod forges;
mod helpers;
mod identity;
mod lifecycle;
mod logs;
mod orgs;
mod permissions;
mod pipelines;
mod process;
mod push;
mod queue;
mod registries;
mod repos;
mod secrets;
mod signature;
mod streams;
mod system;
mod users;
