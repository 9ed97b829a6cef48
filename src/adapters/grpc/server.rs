//! Serving both services on one h2c listener (TCP or unix socket).
//!
//! Keepalive: released agents ping every 10 s whatever they are configured to do (engine.md
//! §1.7, §10.7), also while a `Next` long poll idles; the HTTP/2 stack here answers client pings
//! without any rate policy, so such agents are never sent away with "too many pings". The
//! server pings too, to notice agents that vanished without closing their connection.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;
use tonic::transport::server::{Connected, TcpIncoming};

use crate::adapters::grpc::auth::AuthService;
use crate::adapters::grpc::interceptor::AuthInterceptor;
use crate::adapters::grpc::listener::AgentListener;
use crate::adapters::grpc::proto::woodpecker_auth_server::WoodpeckerAuthServer;
use crate::adapters::grpc::proto::woodpecker_server::WoodpeckerServer;
use crate::adapters::grpc::woodpecker::WoodpeckerService;
use crate::app::agent_rpc::AgentRpc;

/// Largest message accepted: log batches reach about 2 MiB (1 MiB of lines plus one line of up
/// to 1 MiB); the margin costs nothing.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// How often the server pings an idle connection, and how long it waits for the answer.
const PING_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves the agent protocol on `listener` until `shutdown` completes; then ends open long
/// polls and returns once every call has finished.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: AgentListener,
    rpc: AgentRpc,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    match listener {
        AgentListener::Tcp(listener) => {
            serve_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)), rpc, shutdown).await
        }
        AgentListener::Unix(listener, _file) => {
            serve_incoming(UnixListenerStream::new(listener), rpc, shutdown).await
        }
    }
}

/// Serves the agent protocol on the connections `incoming` yields.
async fn serve_incoming<IO, IE>(
    incoming: impl Stream<Item = Result<IO, IE>>,
    rpc: AgentRpc,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (stop, stopping) = watch::channel(false);
    let woodpecker = WoodpeckerServer::new(WoodpeckerService::new(rpc.clone(), stopping))
        .max_decoding_message_size(MAX_MESSAGE);
    let auth =
        WoodpeckerAuthServer::new(AuthService::new(rpc.clone())).max_decoding_message_size(MAX_MESSAGE);
    Server::builder()
        .http2_keepalive_interval(Some(PING_EVERY))
        .http2_keepalive_timeout(Some(PING_TIMEOUT))
        .add_service(auth)
        .add_service(InterceptedService::new(woodpecker, AuthInterceptor::new(rpc.tokens().clone())))
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
}
