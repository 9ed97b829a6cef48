//! `nuthatch ping`: asks a running server's `/healthz`, for container health checks (as
//! upstream's `woodpecker-server ping`). Plain HTTP/1.0 over TCP or the unix socket: no client
//! library needed.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::adapters::socket::ListenAddr;

/// Connects to `server_addr` (a listen address; `:8000` means localhost) and succeeds when
/// `/healthz` answers 2xx within `timeout`.
pub async fn ping(server_addr: &str, timeout: Duration) -> anyhow::Result<()> {
    let addr = ListenAddr::parse(server_addr)?;
    let status = tokio::time::timeout(timeout, async {
        match &addr {
            ListenAddr::Tcp(socket) => {
                let mut socket = *socket;
                if socket.ip().is_unspecified() {
                    socket.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                let stream = TcpStream::connect(socket)
                    .await
                    .with_context(|| format!("cannot connect to {socket}"))?;
                status_line(stream).await
            }
            ListenAddr::Unix(path) => {
                let stream =
                    UnixStream::connect(path).await.with_context(|| format!("cannot connect to {addr}"))?;
                status_line(stream).await
            }
        }
    })
    .await
    .context("server did not answer in time")??;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if !code.starts_with('2') {
        bail!("server is unhealthy: {}", status.lines().next().unwrap_or("no answer"));
    }
    Ok(())
}

/// Sends `GET /healthz` on `stream`; the start of the answer.
async fn status_line(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> anyhow::Result<String> {
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
    let mut head = vec![0; 64];
    let n = stream.read(&mut head).await?;
    Ok(String::from_utf8_lossy(&head[..n]).into_owned())
}
