//! The channel to the server, as `WOODPECKER_SERVER` names it: `host:port` (HTTP/2, `http://`
//! assumed), a URL, or `unix:///path` for a server socket on this machine (as Go agents dial
//! it); over TLS when the agent is told so (`WOODPECKER_GRPC_SECURE`), as behind a
//! TLS-terminating proxy. The channel connects lazily and reconnects by itself either way.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
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
/// The port of a TLS server address that names none.
const TLS_PORT: u16 = 443;

/// A lazily connecting channel to `server`, over TLS with `tls` when given (a unix socket is
/// always plaintext: it never leaves the machine).
///
/// # Errors
/// [`LinkError::Rejected`] when `server` is not a valid address.
pub fn open(server: &str, tls: Option<rustls::ClientConfig>) -> Result<Channel, LinkError> {
    if let Some(path) = unix_socket_path(server) {
        let path = path.to_owned();
        let endpoint = configure(Endpoint::from_static(UNIX_AUTHORITY));
        return Ok(endpoint.connect_with_connector_lazy(tower::service_fn(move |_: Uri| dial(path.clone()))));
    }
    let Some(mut config) = tls else {
        let url = if server.contains("://") { server.to_owned() } else { format!("http://{server}") };
        return Ok(configure(endpoint(&url)?).tcp_nodelay(true).connect_lazy());
    };
    // tonic, built without its own TLS, refuses to dial an https:// URI: the connector below
    // dials http:// and does the TLS, while requests still name the https:// origin.
    let authority = server.split_once("://").map_or(server, |(_, rest)| rest);
    let origin = format!("https://{authority}")
        .parse()
        .map_err(|e| LinkError::Rejected(format!("invalid server address '{server}': {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let endpoint = configure(endpoint(&format!("http://{authority}"))?).origin(origin);
    Ok(endpoint
        .connect_with_connector_lazy(tower::service_fn(move |uri: Uri| dial_tls(uri, connector.clone()))))
}

fn endpoint(url: &str) -> Result<Endpoint, LinkError> {
    Endpoint::from_shared(url.to_owned())
        .map_err(|e| LinkError::Rejected(format!("invalid server address '{url}': {e}")))
}

/// Connects to the socket at `path`, in the I/O wrapper hyper reads and writes through.
async fn dial(path: PathBuf) -> io::Result<TokioIo<UnixStream>> {
    Ok(TokioIo::new(UnixStream::connect(path).await?))
}

/// Connects to `uri`'s host and port and shakes hands with TLS, the certificate checked for
/// that host name.
async fn dial_tls(uri: Uri, tls: TlsConnector) -> io::Result<TokioIo<TlsStream<TcpStream>>> {
    let host = uri.host().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host to dial"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name =
        ServerName::try_from(host.to_owned()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let tcp = TcpStream::connect((host, uri.port_u16().unwrap_or(TLS_PORT))).await?;
    tcp.set_nodelay(true)?;
    Ok(TokioIo::new(tls.connect(name, tcp).await?))
}

/// The timeouts and keepalive of every channel.
fn configure(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .http2_keep_alive_interval(PING_EVERY)
        .keep_alive_timeout(PING_TIMEOUT)
        .keep_alive_while_idle(true)
}
