//! The agent gRPC listener: a TCP port, or a unix socket for agents on the same machine.

use anyhow::Context;
use tokio::net::{TcpListener, UnixListener};

use crate::adapters::socket::ListenAddr;
use crate::adapters::socket::unix::{self, SocketFile};

/// A bound agent listener.
pub enum AgentListener {
    /// On a TCP port.
    Tcp(TcpListener),
    /// On a unix socket; its file goes away with the listener.
    Unix(UnixListener, SocketFile),
}

impl AgentListener {
    /// Binds `addr`; a unix socket gets file mode `socket_mode`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(addr: &ListenAddr, socket_mode: u32) -> anyhow::Result<Self> {
        match addr {
            ListenAddr::Tcp(socket) => {
                let listener = TcpListener::bind(socket)
                    .await
                    .with_context(|| format!("cannot listen on {socket} for agents"))?;
                Ok(Self::Tcp(listener))
            }
            ListenAddr::Unix(path) => {
                let (listener, file) =
                    unix::bind(path, socket_mode).context("cannot open the agent gRPC socket")?;
                let listener = UnixListener::from_std(listener)
                    .with_context(|| format!("cannot serve agents on {addr}"))?;
                Ok(Self::Unix(listener, file))
            }
        }
    }

    /// The bound address: the port chosen for port 0, or the socket path.
    ///
    /// # Errors
    /// When the TCP listener reports no address.
    pub fn local_addr(&self) -> anyhow::Result<ListenAddr> {
        match self {
            Self::Tcp(listener) => {
                Ok(ListenAddr::Tcp(listener.local_addr().context("agent listener has no address")?))
            }
            Self::Unix(_, file) => Ok(ListenAddr::Unix(file.path().to_owned())),
        }
    }
}
