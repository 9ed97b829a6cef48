//! `proto.WoodpeckerAuth`: the one call an agent makes without an access token, to get one.

use tonic::{Request, Response, Status};

use crate::adapters::grpc::proto;
use crate::adapters::grpc::status::to_status;
use crate::app::agent_rpc::AgentRpc;

/// The status text of a successful `Auth`.
const OK: &str = "ok";

/// The service.
#[derive(Clone)]
pub struct AuthService {
    rpc: AgentRpc,
}

impl AuthService {
    /// The service over `rpc`.
    pub fn new(rpc: AgentRpc) -> Self {
        Self { rpc }
    }
}

#[tonic::async_trait]
impl proto::woodpecker_auth_server::WoodpeckerAuth for AuthService {
    async fn auth(
        &self,
        request: Request<proto::AuthRequest>,
    ) -> Result<Response<proto::AuthResponse>, Status> {
        let req = request.into_inner();
        let done = self.rpc.auth(&req.agent_token, req.agent_id).await.map_err(to_status)?;
        Ok(Response::new(proto::AuthResponse {
            status: OK.to_owned(),
            agent_id: done.agent_id,
            access_token: done.access_token,
        }))
    }
}
