//! The channel to the server, as `WOODPECKER_SERVER` names it: `host:port` (plaintext HTTP/2,
//! `http://` assumed), a URL, or `unix:///path` for a server socket on this machine (as Go
//! agents dial it). The channel connects lazily and reconnects by itself either way.

use std::path::PathBuf;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::adapters::socket::unix_socket_path;
use crate::ports::agent_link::LinkError;

/// Keepalive pings while calls are open, so a dead connection is noticed during a long poll.
const PING_EVERY: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The authority of requests over a unix socket, where there is no host (grpc-go sends the same).
const UNIX_AUTHORITY: &str = "http://localhost";

/// A lazily connecting channel to `server`.
///
/// # Errors
/// [`LinkError::Rejected`] when `server` is not a valid address.
pub fn open(server: &str) -> Result<Channel, LinkError> {
    if let Some(path) = unix_socket_path(server) {
        let path = path.to_owned();
        let endpoint = configure(Endpoint::from_static(UNIX_AUTHORITY));
        return Ok(endpoint.connect_with_connector_lazy(tower::service_fn(move |_: Uri| dial(path.clone()))));
    }
    let url = if server.contains("://") { server.to_owned() } else { format!("http://{server}") };
    let endpoint = Endpoint::from_shared(url.clone())
        .map_err(|e| LinkError::Rejected(format!("invalid server address '{url}': {e}")))?;
    Ok(configure(endpoint).tcp_nodelay(true).connect_lazy())
}

/// Connects to the socket at `path`, in the I/O wrapper hyper reads and writes through.
async fn dial(path: PathBuf) -> std::io::Result<TokioIo<UnixStream>> {
    Ok(TokioIo::new(UnixStream::connect(path).await?))
}

/// The timeouts and keepalive of every channel.
fn configure(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .http2_keep_alive_interval(PING_EVERY)
        .keep_alive_timeout(PING_TIMEOUT)
        .keep_alive_while_idle(true)
}
