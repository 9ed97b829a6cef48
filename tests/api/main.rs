//! Black-box tests of the HTTP server: each test starts a real server on a random port with a
//! database of its own and talks HTTP to it.

mod helpers;
mod identity;
mod permissions;
mod process;
mod push;
mod system;
