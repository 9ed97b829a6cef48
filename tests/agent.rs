//! Black-box tests of the agent: the real `nuthatch` binary as server (with its embedded agent)
//! and as `nuthatch agent`, over TCP or unix sockets, SQLite, the local forge fed by `git push`,
//! the local backend (and the docker backend against a fake Docker Engine API); config and secret
//! extensions served by the test; everything checked through the REST API and the event stream.

#[path = "docker_backend/fake_engine.rs"]
#[allow(dead_code)]
mod fake_engine;
#[path = "common/git.rs"]
mod git;
#[path = "common/process.rs"]
mod server_process;
#[path = "common/signatures.rs"]
mod signatures;
#[path = "common/server.rs"]
#[allow(dead_code)]
mod test_server;

mod agent {
    pub mod cancel;
    pub mod docker;
    pub mod encryption;
    pub mod extension_server;
    pub mod extensions;
    pub mod grpc_tls;
    pub mod harness;
    pub mod log_files;
    pub mod pipelines;
    pub mod restart;
    pub mod test_ca;
    pub mod unix_sockets;
}
