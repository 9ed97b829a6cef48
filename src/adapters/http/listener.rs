//! The HTTP API's listener: a TCP port, or a unix socket for a server behind a local proxy.
//! Each kind keeps its own acceptor type, so TCP is served exactly as before (no boxed I/O).

use std::future::Future;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener, UnixAcceptor};
use poem::{IntoEndpoint, Server};

use crate::adapters::socket::ListenAddr;
use crate::adapters::socket::unix::{self, SocketFile};

/// A bound HTTP listener.
pub enum HttpListener {
    /// On a TCP port.
    Tcp(TcpAcceptor),
    /// On a unix socket; its file goes away with the listener.
    Unix(UnixAcceptor, SocketFile),
}

impl HttpListener {
    /// Binds `addr`; a unix socket gets file mode `socket_mode`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(addr: &ListenAddr, socket_mode: u32) -> anyhow::Result<Self> {
        match addr {
            ListenAddr::Tcp(socket) => {
                let acceptor = TcpListener::bind(*socket)
                    .into_acceptor()
                    .await
                    .with_context(|| format!("cannot listen on {socket}"))?;
                Ok(Self::Tcp(acceptor))
            }
            ListenAddr::Unix(path) => {
                let (listener, file) =
                    unix::bind(path, socket_mode).context("cannot open the HTTP socket")?;
                let acceptor = UnixAcceptor::from_std(listener)
                    .with_context(|| format!("cannot serve HTTP on {addr}"))?;
                Ok(Self::Unix(acceptor, file))
            }
        }
    }

    /// The bound address: the port chosen for port 0, or the socket path.
    ///
    /// # Errors
    /// When a TCP acceptor reports no socket address.
    pub fn local_addr(&self) -> anyhow::Result<ListenAddr> {
        match self {
            Self::Tcp(acceptor) => acceptor
                .local_addr()
                .first()
                .and_then(|a| a.as_socket_addr().copied())
                .map(ListenAddr::Tcp)
                .context("listener has no socket address"),
            Self::Unix(_, file) => Ok(ListenAddr::Unix(file.path().to_owned())),
        }
    }

    /// Serves `routes` until `shutdown` completes, then finishes in-flight requests.
    ///
    /// # Errors
    /// When accepting connections fails.
    pub async fn serve<E>(self, routes: E, shutdown: impl Future<Output = ()>) -> std::io::Result<()>
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        match self {
            Self::Tcp(acceptor) => {
                Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(routes, shutdown, None).await
            }
            Self::Unix(acceptor, _file) => {
                Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(routes, shutdown, None).await
            }
        }
    }
}
