//! Black-box tests of the agent: the real `nuthatch` binary as server (with its embedded agent)
//! and as `nuthatch agent`, SQLite, the local forge fed by `git push`, the local backend;
//! everything checked through the REST API and the event stream.

#[path = "common/git.rs"]
mod git;
#[path = "common/process.rs"]
mod server_process;
#[path = "common/server.rs"]
#[allow(dead_code)]
mod test_server;

mod agent {
    pub mod cancel;
    pub mod encryption;
    pub mod harness;
    pub mod log_files;
    pub mod pipelines;
    pub mod restart;
}
