//! Listen addresses in upstream's forms: `:8000` (every interface), `host:port`, `[v6]:port`,
//! and `unix:///path/to.sock` (a unix socket; `unix://relative.sock` is relative to the working
//! directory, as Go's `strings.TrimPrefix` gives it).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The scheme that marks a unix socket path.
const UNIX_SCHEME: &str = "unix://";

/// A TCP socket address or the path of a unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// An IP address and port.
    Tcp(SocketAddr),
    /// A unix socket file.
    Unix(PathBuf),
}

impl ListenAddr {
    /// Parses a listen address.
    ///
    /// # Errors
    /// When it is neither `unix://<path>` nor `host:port` / `:port` with a numeric host.
    pub fn parse(addr: &str) -> anyhow::Result<Self> {
        if addr.starts_with(UNIX_SCHEME) {
            return match unix_socket_path(addr) {
                Some(path) => Ok(Self::Unix(path.to_owned())),
                None => bail!("invalid listen address '{addr}': unix:// needs a socket path"),
            };
        }
        let full = if addr.starts_with(':') { format!("0.0.0.0{addr}") } else { addr.to_owned() };
        let socket = full.parse().with_context(|| {
            format!("invalid listen address '{addr}' (expected host:port, :port or unix:///path)")
        })?;
        Ok(Self::Tcp(socket))
    }
}

/// `ip:port` for TCP (as [`SocketAddr`] shows it), `unix://<path>` for a unix socket: either way
/// the form [`ListenAddr::parse`] reads back.
impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(socket) => socket.fmt(f),
            Self::Unix(path) => write!(f, "{UNIX_SCHEME}{}", path.display()),
        }
    }
}

/// The socket path of a `unix://<path>` address; `None` for any other address or an empty path.
pub fn unix_socket_path(addr: &str) -> Option<&Path> {
    addr.strip_prefix(UNIX_SCHEME).filter(|path| !path.is_empty()).map(Path::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(addr: &str) -> ListenAddr {
        ListenAddr::Tcp(addr.parse().unwrap())
    }

    #[test]
    fn go_style_port_only_addresses_listen_everywhere() {
        assert_eq!(ListenAddr::parse(":8000").unwrap(), tcp("0.0.0.0:8000"));
        assert_eq!(ListenAddr::parse("127.0.0.1:0").unwrap(), tcp("127.0.0.1:0"));
        assert_eq!(ListenAddr::parse("[::1]:9000").unwrap(), tcp("[::1]:9000"));
        assert!(ListenAddr::parse("localhost").is_err());
    }

    #[test]
    fn unix_addresses_name_a_socket_file() {
        assert_eq!(
            ListenAddr::parse("unix:///run/ci/http.sock").unwrap(),
            ListenAddr::Unix("/run/ci/http.sock".into())
        );
        assert_eq!(ListenAddr::parse("unix://ci.sock").unwrap(), ListenAddr::Unix("ci.sock".into()));
        let error = ListenAddr::parse("unix://").unwrap_err().to_string();
        assert!(error.contains("needs a socket path"), "{error}");
    }

    #[test]
    fn addresses_show_as_they_are_written() {
        for addr in ["127.0.0.1:8000", "[::1]:9000", "unix:///run/ci/grpc.sock"] {
            assert_eq!(ListenAddr::parse(addr).unwrap().to_string(), addr);
        }
    }

    #[test]
    fn only_unix_addresses_have_a_socket_path() {
        assert_eq!(unix_socket_path("unix:///tmp/a.sock"), Some(Path::new("/tmp/a.sock")));
        assert_eq!(unix_socket_path("unix://"), None);
        assert_eq!(unix_socket_path("http://unix.example:9000"), None);
        assert_eq!(unix_socket_path("localhost:9000"), None);
    }
}
