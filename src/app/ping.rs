//! `nuthatch ping`: asks a running server's `/healthz`, for container health checks (as
//! upstream's `woodpecker-server ping`). Plain HTTP/1.0 over TCP: no client library needed.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::config::parse_listen_addr;

/// Connects to `server_addr` (a listen address; `:8000` means localhost) and succeeds when
/// `/healthz` answers 2xx within `timeout`.
pub async fn ping(server_addr: &str, timeout: Duration) -> anyhow::Result<()> {
    let mut addr = parse_listen_addr(server_addr)?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let status = tokio::time::timeout(timeout, async {
        let mut stream =
            TcpStream::connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
        let mut head = vec![0; 64];
        let n = stream.read(&mut head).await?;
        Ok::<_, anyhow::Error>(String::from_utf8_lossy(&head[..n]).into_owned())
    })
    .await
    .context("server did not answer in time")??;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if !code.starts_with('2') {
        bail!("server is unhealthy: {}", status.lines().next().unwrap_or("no answer"));
    }
    Ok(())
}
