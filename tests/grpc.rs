//! Black-box tests of the agent gRPC server: a real server on random ports, and a client
//! generated from our `.proto` that calls it the way a Woodpecker agent does (engine.md §1.6).

#[path = "common/server.rs"]
mod test_server;

mod grpc {
    pub mod agent;
    pub mod auth;
    pub mod flow;
    pub mod helpers;
}
