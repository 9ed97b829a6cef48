//! `proto.Woodpecker`: every agent call but `Auth`, translated to the use cases of
//! [`AgentRpc`]. The caller comes from the [`interceptor`](super::interceptor).
//!
//! `Next` and `Wait` block for as long as it takes; when the server shuts down they end at once
//! (`Next` with no work, `Wait` as unavailable, so that the agent asks again after the restart),
//! since a graceful shutdown waits for every open call.

use std::collections::BTreeMap;

use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::adapters::grpc::interceptor::Caller;
use crate::adapters::grpc::proto;
use crate::adapters::grpc::status::to_status;
use crate::app::agent_rpc::agents::AgentInfo;
use crate::app::agent_rpc::done::WorkflowReport;
use crate::app::agent_rpc::log::LogLine;
use crate::app::agent_rpc::{AgentRpc, PROTOCOL_VERSION};
use crate::domain::step_status::StepReport;

/// The service.
#[derive(Clone)]
pub struct WoodpeckerService {
    rpc: AgentRpc,
    stopping: watch::Receiver<bool>,
}

impl WoodpeckerService {
    /// The service over `rpc`; `stopping` turns `true` when the server shuts down.
    pub fn new(rpc: AgentRpc, stopping: watch::Receiver<bool>) -> Self {
        Self { rpc, stopping }
    }

    /// Completes once the server shuts down.
    async fn stopped(&self) {
        let mut stopping = self.stopping.clone();
        // An error means the sender is gone, which also means the server stopped.
        let _ = stopping.wait_for(|stop| *stop).await;
    }
}

/// The calling agent.
fn caller<T>(request: &Request<T>) -> Result<i64, Status> {
    request
        .extensions()
        .get::<Caller>()
        .map(|c| c.0)
        .ok_or_else(|| Status::unauthenticated("metadata is not provided"))
}

fn workflow_report(state: Option<proto::WorkflowState>) -> WorkflowReport {
    let s = state.unwrap_or_default();
    WorkflowReport { started: s.started, finished: s.finished, error: s.error, canceled: s.canceled }
}

fn step_report(s: &proto::StepState) -> StepReport {
    StepReport {
        started: s.started,
        finished: s.finished,
        exited: s.exited,
        exit_code: s.exit_code,
        error: s.error.clone(),
        canceled: s.canceled,
        skipped: s.skipped,
    }
}

fn log_line(e: proto::LogEntry) -> LogLine {
    LogLine { step_uuid: e.step_uuid, time: e.time, line: e.line, entry_type: e.r#type, data: e.data }
}

fn agent_info(info: proto::AgentInfo) -> AgentInfo {
    AgentInfo {
        platform: info.platform,
        capacity: info.capacity,
        backend: info.backend,
        version: info.version,
        custom_labels: info.custom_labels.into_iter().collect(),
    }
}

#[tonic::async_trait]
impl proto::woodpecker_server::Woodpecker for WoodpeckerService {
    async fn version(
        &self,
        _request: Request<proto::Empty>,
    ) -> Result<Response<proto::VersionResponse>, Status> {
        Ok(Response::new(proto::VersionResponse {
            grpc_version: PROTOCOL_VERSION,
            server_version: self.rpc.server_version(),
        }))
    }

    async fn next(
        &self,
        request: Request<proto::NextRequest>,
    ) -> Result<Response<proto::NextResponse>, Status> {
        let agent = caller(&request)?;
        let labels: BTreeMap<String, String> =
            request.into_inner().filter.map(|f| f.labels.into_iter().collect()).unwrap_or_default();
        let assignment = tokio::select! {
            next = self.rpc.next(agent, labels) => next.map_err(to_status)?,
            () = self.stopped() => None,
        };
        let workflow =
            assignment.map(|a| proto::Workflow { id: a.id, timeout: a.timeout, payload: a.payload });
        Ok(Response::new(proto::NextResponse { workflow }))
    }

    async fn init(&self, request: Request<proto::InitRequest>) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        let req = request.into_inner();
        self.rpc.init(agent, &req.id, workflow_report(req.state)).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn wait(
        &self,
        request: Request<proto::WaitRequest>,
    ) -> Result<Response<proto::WaitResponse>, Status> {
        let agent = caller(&request)?;
        let id = request.into_inner().id;
        let canceled = tokio::select! {
            waited = self.rpc.wait(agent, &id) => waited.map_err(to_status)?,
            () = self.stopped() => return Err(Status::unavailable("server shutting down")),
        };
        Ok(Response::new(proto::WaitResponse { canceled }))
    }

    async fn done(&self, request: Request<proto::DoneRequest>) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        let req = request.into_inner();
        self.rpc.done(agent, &req.id, workflow_report(req.state)).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn extend(&self, request: Request<proto::ExtendRequest>) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        self.rpc.extend(agent, &request.into_inner().id).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn update(&self, request: Request<proto::UpdateRequest>) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        let req = request.into_inner();
        let state = req.state.unwrap_or_default();
        self.rpc.update(agent, &req.id, &state.step_uuid, step_report(&state)).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn log(&self, request: Request<proto::LogRequest>) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        let lines = request.into_inner().log_entries.into_iter().map(log_line).collect();
        self.rpc.log(agent, lines).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn register_agent(
        &self,
        request: Request<proto::RegisterAgentRequest>,
    ) -> Result<Response<proto::RegisterAgentResponse>, Status> {
        let agent = caller(&request)?;
        let hostname = request.metadata().get("hostname").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let info = agent_info(request.into_inner().info.unwrap_or_default());
        let agent_id = self.rpc.register(agent, hostname.as_deref(), info).await.map_err(to_status)?;
        Ok(Response::new(proto::RegisterAgentResponse { agent_id }))
    }

    async fn unregister_agent(
        &self,
        request: Request<proto::Empty>,
    ) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        self.rpc.unregister(agent).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn report_health(
        &self,
        request: Request<proto::ReportHealthRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        let agent = caller(&request)?;
        self.rpc.report_health(agent, &request.into_inner().status).await.map_err(to_status)?;
        Ok(Response::new(proto::Empty {}))
    }
}
