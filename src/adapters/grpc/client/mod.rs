//! The agent side of the protocol: [`GrpcLink`] implements the [`AgentLink`] port over a tonic
//! channel the way Woodpecker's agent talks (engine.md §1.2, §1.6, §10.7):
//! - `Auth` with the agent token (and the id from an earlier run, else -1) gives an access token,
//!   sent as metadata `token` on every other call; it is renewed every 30 minutes and whenever
//!   the server answers `Unauthenticated`;
//! - `Version` must say protocol 16; `hostname` and `proto-version` go with Version,
//!   RegisterAgent and ReportHealth;
//! - calls failing with a transient code are retried with exponential backoff (10 ms to 10 s)
//!   for the retry budget; the channel reconnects by itself, so a restarted server is picked up
//!   without anyone's help.

mod backoff;
mod channel;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

pub use backoff::Backoff;

use crate::adapters::grpc::proto;
use crate::adapters::grpc::proto::woodpecker_auth_client::WoodpeckerAuthClient;
use crate::adapters::grpc::proto::woodpecker_client::WoodpeckerClient;
use crate::app::agent_rpc::PROTOCOL_VERSION;
use crate::domain::run_report::{LogLine, Outcome, StepReport};
use crate::ports::agent_link::{AgentInfo, AgentLink, Assignment, LinkError};

/// How often the access token is renewed (it is valid for an hour).
const REFRESH_EVERY: Duration = Duration::from_secs(30 * 60);
/// Deadline of one `Auth` call.
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);
/// The health report's fixed text.
const ALIVE: &str = "I am alive!";

/// How to reach and authenticate with the server.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// `host:port` of the server's gRPC listener (`http://` is assumed when no scheme is given),
    /// or `unix:///path` of its unix socket.
    pub server: String,
    /// The agent token: the server's system secret or a per-agent token.
    pub agent_token: String,
    /// The id from an earlier run, or -1 for a new agent.
    pub agent_id: i64,
    /// Sent as metadata `hostname` (names the agent at the server).
    pub hostname: String,
    /// How long a call is retried before it fails as unavailable.
    pub retry_budget: Duration,
    /// TLS to the server (`None`: plaintext HTTP/2), see [`crate::adapters::tls`].
    pub tls: Option<rustls::ClientConfig>,
}

/// The current access token and when it was issued.
struct Session {
    token: AsciiMetadataValue,
    issued: Instant,
}

/// Adds the current access token to every call.
#[derive(Clone)]
struct TokenInterceptor(Arc<RwLock<Session>>);

impl Interceptor for TokenInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let token = self.0.read().map_err(|_| Status::internal("token lock poisoned"))?.token.clone();
        request.metadata_mut().insert("token", token);
        Ok(request)
    }
}

type Client = WoodpeckerClient<InterceptedService<Channel, TokenInterceptor>>;

/// The server over gRPC.
pub struct GrpcLink {
    channel: Channel,
    session: Arc<RwLock<Session>>,
    agent_token: String,
    agent_id: AtomicI64,
    hostname: AsciiMetadataValue,
    retry_budget: Duration,
    /// One `Auth` at a time: workers that see `Unauthenticated` together renew once.
    auth_lock: tokio::sync::Mutex<()>,
}

impl GrpcLink {
    /// Connects: authenticates and checks the protocol version, retrying while the server is
    /// unreachable for the retry budget.
    ///
    /// # Errors
    /// [`LinkError::Rejected`] for a bad address or token, [`LinkError::Incompatible`] for
    /// another protocol version, [`LinkError::Unavailable`] when the server never answered.
    pub async fn connect(settings: LinkSettings) -> Result<Self, LinkError> {
        let tls = settings.tls.is_some();
        let channel = channel::open(&settings.server, settings.tls)?;
        let hostname = AsciiMetadataValue::try_from(settings.hostname.as_str())
            .map_err(|_| LinkError::Rejected(format!("hostname '{}' is not ASCII", settings.hostname)))?;
        let link = Self {
            channel,
            session: Arc::new(RwLock::new(Session {
                token: AsciiMetadataValue::from_static(""),
                issued: Instant::now(),
            })),
            agent_token: settings.agent_token,
            agent_id: AtomicI64::new(settings.agent_id),
            hostname,
            retry_budget: settings.retry_budget,
            auth_lock: tokio::sync::Mutex::new(()),
        };
        link.retry("auth", |_| link.authenticate_call()).await?;
        let version = link
            .retry("version", |mut c| {
                let request = link.with_host(proto::Empty {});
                async move { c.version(request).await }
            })
            .await?;
        if version.grpc_version != PROTOCOL_VERSION {
            return Err(LinkError::Incompatible { server: version.grpc_version, ours: PROTOCOL_VERSION });
        }
        tracing::info!(server = %settings.server, tls, server_version = version.server_version, "connected to the server");
        Ok(link)
    }

    fn client(&self) -> Client {
        WoodpeckerClient::with_interceptor(self.channel.clone(), TokenInterceptor(self.session.clone()))
    }

    /// A request carrying `hostname` and `proto-version`, as the Go agent sends on Version,
    /// RegisterAgent and ReportHealth.
    fn with_host<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert("hostname", self.hostname.clone());
        request.metadata_mut().insert("proto-version", AsciiMetadataValue::from(PROTOCOL_VERSION));
        request
    }

    /// `Auth` once; stores the access token and the agent id.
    async fn authenticate_call(&self) -> Result<Response<()>, Status> {
        let _guard = self.auth_lock.lock().await;
        let request = proto::AuthRequest {
            agent_token: self.agent_token.clone(),
            agent_id: self.agent_id.load(Ordering::SeqCst),
        };
        let mut auth = WoodpeckerAuthClient::new(self.channel.clone());
        let answer = tokio::time::timeout(AUTH_TIMEOUT, auth.auth(request))
            .await
            .map_err(|_| Status::deadline_exceeded("auth timed out"))??
            .into_inner();
        let token = AsciiMetadataValue::try_from(answer.access_token.as_str())
            .map_err(|_| Status::unknown("the server sent a token that is not ASCII"))?;
        self.agent_id.store(answer.agent_id, Ordering::SeqCst);
        let mut session = self.session.write().map_err(|_| Status::internal("token lock poisoned"))?;
        *session = Session { token, issued: Instant::now() };
        Ok(Response::new(()))
    }

    fn token_is_old(&self) -> bool {
        self.session.read().map(|s| s.issued.elapsed() >= REFRESH_EVERY).unwrap_or(true)
    }

    /// Runs `call` until it succeeds, a permanent error comes back, or the retry budget is
    /// spent. `Unauthenticated` renews the access token before the next try.
    async fn retry<T, F, Fut>(&self, what: &'static str, mut call: F) -> Result<T, LinkError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        let started = Instant::now();
        let mut backoff = Backoff::default();
        loop {
            if what != "auth" && self.token_is_old() {
                self.renew(what).await?;
            }
            let status = match call(self.client()).await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) => status,
            };
            match status.code() {
                Code::Unauthenticated if what != "auth" => self.renew(what).await?,
                code if transient(code) => {}
                _ => return Err(LinkError::Rejected(format!("{what}: {}", status.message()))),
            }
            if started.elapsed() >= self.retry_budget {
                return Err(LinkError::Unavailable(format!("{what}: {}", status.message())));
            }
            let delay = backoff.next_delay();
            tracing::debug!(call = what, code = ?status.code(), error = status.message(), ?delay, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Renews the access token; a transient failure is left to the caller's next try.
    async fn renew(&self, what: &'static str) -> Result<(), LinkError> {
        match self.authenticate_call().await {
            Ok(_) => Ok(()),
            Err(status) if transient(status.code()) => Ok(()),
            Err(status) => Err(LinkError::Rejected(format!(
                "{what}: cannot renew the access token: {}",
                status.message()
            ))),
        }
    }
}

/// Codes worth retrying: the server is down, restarting or overloaded.
fn transient(code: Code) -> bool {
    matches!(code, Code::Unavailable | Code::Aborted | Code::DataLoss | Code::DeadlineExceeded)
}

fn workflow_state(outcome: &Outcome) -> proto::WorkflowState {
    proto::WorkflowState {
        started: outcome.started,
        finished: outcome.finished,
        error: outcome.error.clone(),
        canceled: outcome.canceled,
    }
}

fn step_state(report: &StepReport) -> proto::StepState {
    proto::StepState {
        step_uuid: report.uuid.clone(),
        started: report.started,
        finished: report.finished,
        exited: report.exited,
        exit_code: report.exit_code,
        error: report.error.clone(),
        canceled: report.canceled,
        skipped: report.skipped,
    }
}

fn log_entry(line: &LogLine) -> proto::LogEntry {
    proto::LogEntry {
        step_uuid: line.uuid.clone(),
        time: line.time,
        line: line.line,
        r#type: 0,
        data: line.data.clone(),
    }
}

#[async_trait]
impl AgentLink for GrpcLink {
    fn agent_id(&self) -> i64 {
        self.agent_id.load(Ordering::SeqCst)
    }

    async fn register(&self, info: &AgentInfo) -> Result<i64, LinkError> {
        let info = proto::AgentInfo {
            platform: info.platform.clone(),
            capacity: info.capacity,
            backend: info.backend.clone(),
            version: info.version.clone(),
            custom_labels: info.custom_labels.clone().into_iter().collect(),
        };
        let request = proto::RegisterAgentRequest { info: Some(info) };
        let answer = self
            .retry("register", |mut c| {
                let request = self.with_host(request.clone());
                async move { c.register_agent(request).await }
            })
            .await?;
        Ok(answer.agent_id)
    }

    async fn unregister(&self) -> Result<(), LinkError> {
        self.retry("unregister", |mut c| async move { c.unregister_agent(proto::Empty {}).await }).await?;
        Ok(())
    }

    async fn report_health(&self) -> Result<(), LinkError> {
        let request = proto::ReportHealthRequest { status: ALIVE.into() };
        self.retry("report health", |mut c| {
            let request = self.with_host(request.clone());
            async move { c.report_health(request).await }
        })
        .await?;
        Ok(())
    }

    async fn next(&self, labels: &BTreeMap<String, String>) -> Result<Option<Assignment>, LinkError> {
        let filter = proto::Filter { labels: labels.clone().into_iter().collect() };
        let request = proto::NextRequest { filter: Some(filter) };
        let answer = self
            .retry("next", |mut c| {
                let request = request.clone();
                async move { c.next(request).await }
            })
            .await?;
        Ok(answer.workflow.map(|w| Assignment { id: w.id, timeout_minutes: w.timeout, payload: w.payload }))
    }

    async fn init(&self, id: &str, state: &Outcome) -> Result<(), LinkError> {
        let request = proto::InitRequest { id: id.into(), state: Some(workflow_state(state)) };
        self.retry("init", |mut c| {
            let request = request.clone();
            async move { c.init(request).await }
        })
        .await?;
        Ok(())
    }

    async fn wait(&self, id: &str) -> Result<bool, LinkError> {
        let request = proto::WaitRequest { id: id.into() };
        Ok(self
            .retry("wait", |mut c| {
                let request = request.clone();
                async move { c.wait(request).await }
            })
            .await?
            .canceled)
    }

    async fn update(&self, id: &str, report: &StepReport) -> Result<(), LinkError> {
        let request = proto::UpdateRequest { id: id.into(), state: Some(step_state(report)) };
        self.retry("update", |mut c| {
            let request = request.clone();
            async move { c.update(request).await }
        })
        .await?;
        Ok(())
    }

    async fn log(&self, lines: &[LogLine]) -> Result<(), LinkError> {
        let request = proto::LogRequest { log_entries: lines.iter().map(log_entry).collect() };
        self.retry("log", |mut c| {
            let request = request.clone();
            async move { c.log(request).await }
        })
        .await?;
        Ok(())
    }

    async fn extend(&self, id: &str) -> Result<(), LinkError> {
        let request = proto::ExtendRequest { id: id.into() };
        self.retry("extend", |mut c| {
            let request = request.clone();
            async move { c.extend(request).await }
        })
        .await?;
        Ok(())
    }

    async fn done(&self, id: &str, outcome: &Outcome) -> Result<(), LinkError> {
        let request = proto::DoneRequest { id: id.into(), state: Some(workflow_state(outcome)) };
        self.retry("done", |mut c| {
            let request = request.clone();
            async move { c.done(request).await }
        })
        .await?;
        Ok(())
    }
}
