//! Playing a Go agent against a server's gRPC address: authenticating, registering, and the
//! filter it polls `Next` with.

#![allow(dead_code)]

use std::collections::HashMap;

use nuthatch::adapters::grpc::proto;
use nuthatch::adapters::grpc::proto::woodpecker_auth_client::WoodpeckerAuthClient;
use nuthatch::adapters::grpc::proto::woodpecker_client::WoodpeckerClient;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Adds the access token (and optional extra metadata) to every call, as the agent does.
#[derive(Clone)]
pub struct AgentMetadata(pub Vec<(&'static str, AsciiMetadataValue)>);

impl Interceptor for AgentMetadata {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        for (key, value) in &self.0 {
            request.metadata_mut().insert(*key, value.clone());
        }
        Ok(request)
    }
}

/// The main connection's client of an agent.
pub type AgentClient = WoodpeckerClient<InterceptedService<Channel, AgentMetadata>>;

/// An authenticated agent.
pub struct TestAgent {
    /// Its id.
    pub id: i64,
    /// Client sending the token.
    pub client: AgentClient,
}

/// A connection to the gRPC server at `url` (`http://host:port`).
pub async fn channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned()).unwrap().connect().await.expect("grpc server answers")
}

/// A client of the main service at `url` sending exactly this metadata.
pub async fn client_with(url: &str, metadata: &[(&'static str, &str)]) -> AgentClient {
    let pairs = metadata.iter().map(|(k, v)| (*k, v.parse().unwrap())).collect();
    WoodpeckerClient::with_interceptor(channel(url).await, AgentMetadata(pairs))
}

/// `Auth` at `url` with `token` and `agent_id`, over the agent's separate auth connection.
pub async fn auth(url: &str, token: &str, agent_id: i64) -> Result<proto::AuthResponse, tonic::Status> {
    let request = proto::AuthRequest { agent_token: token.into(), agent_id };
    WoodpeckerAuthClient::new(channel(url).await).auth(request).await.map(tonic::Response::into_inner)
}

/// A new system agent at `url`, authenticated with `secret` and registered like a Go agent on
/// `linux/amd64`.
pub async fn system_agent(url: &str, secret: &str) -> TestAgent {
    let auth = auth(url, secret, -1).await.expect("system agents authenticate");
    let mut client = client_with(url, &[("token", &auth.access_token)]).await;
    let info = proto::AgentInfo {
        platform: "linux/amd64".into(),
        capacity: 1,
        backend: "dummy".into(),
        version: "3.14.0".into(),
        custom_labels: HashMap::new(),
    };
    client.register_agent(proto::RegisterAgentRequest { info: Some(info) }).await.expect("registers");
    TestAgent { id: auth.agent_id, client }
}

/// The filter a Go agent polls with.
pub fn agent_filter() -> proto::NextRequest {
    let labels =
        [("hostname", "test-host"), ("platform", "linux/amd64"), ("backend", "dummy"), ("repo", "*")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    proto::NextRequest { filter: Some(proto::Filter { labels }) }
}
