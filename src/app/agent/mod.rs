//! The agent side: running workflows handed out by a server.

pub mod runner;
