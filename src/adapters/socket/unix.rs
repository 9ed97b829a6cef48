//! Binding a unix socket as upstream does: the file gets the configured mode
//! (`WOODPECKER_UNIX_SOCKET_PERMISSION`), a stale file left by a killed server is replaced, and a
//! stopped server removes its file again (Go's listeners unlink on close).

use std::fs::Permissions;
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The socket file a listener of this process created; removed when dropped.
#[derive(Debug)]
pub struct SocketFile(PathBuf);

impl SocketFile {
    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds a non-blocking listener (ready for tokio) on `path` with file mode `mode`, replacing a
/// stale socket file.
///
/// # Errors
/// When the path exists and is not a socket, another process listens on it, its directory is
/// missing or not writable, or the mode cannot be set.
pub fn bind(path: &Path, mode: u32) -> anyhow::Result<(UnixListener, SocketFile)> {
    remove_stale(path)?;
    let listener = UnixListener::bind(path)
        .with_context(|| format!("cannot listen on unix socket {}", path.display()))?;
    let file = SocketFile(path.to_owned());
    std::fs::set_permissions(path, Permissions::from_mode(mode))
        .with_context(|| format!("cannot set mode {mode:o} on unix socket {}", path.display()))?;
    listener.set_nonblocking(true).context("cannot make the unix socket non-blocking")?;
    Ok((listener, file))
}

/// Removes a socket file nobody listens on any more; anything else at `path` is left alone.
fn remove_stale(path: &Path) -> anyhow::Result<()> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("cannot inspect {}", path.display())),
    };
    if !metadata.file_type().is_socket() {
        bail!("cannot listen on {}: the file exists and is not a unix socket", path.display());
    }
    // A socket that accepts connections belongs to a running server: taking it over would cut
    // that server off.
    if UnixStream::connect(path).is_ok() {
        bail!("cannot listen on unix socket {}: another process listens on it", path.display());
    }
    std::fs::remove_file(path)
        .with_context(|| format!("cannot remove the stale unix socket {}", path.display()))
}

/// Parses a file mode written in octal (`0666`, `660`, `0o600`), as
/// `WOODPECKER_UNIX_SOCKET_PERMISSION` is.
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.trim().trim_start_matches("0o");
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|mode| *mode <= 0o777)
        .ok_or_else(|| format!("invalid socket permission '{text}' (expected an octal mode such as 0666)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nuthatch-unix-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn socket_modes_are_octal() {
        assert_eq!(parse_mode("0666"), Ok(0o666));
        assert_eq!(parse_mode("660"), Ok(0o660));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        assert!(parse_mode("0999").is_err());
        assert!(parse_mode("01777").is_err());
        assert!(parse_mode("").is_err());
    }

    #[test]
    fn a_bound_socket_has_the_mode_and_is_removed_when_dropped() {
        let dir = temp_dir("mode");
        let path = dir.join("s.sock");
        let (listener, file) = bind(&path, 0o640).unwrap();
        assert_eq!(mode_of(&path), 0o640);
        drop((listener, file));
        assert!(!path.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_stale_socket_is_replaced_but_a_live_one_is_not() {
        let dir = temp_dir("stale");
        let path = dir.join("s.sock");
        let live = UnixListener::bind(&path).unwrap();
        let error = bind(&path, 0o666).unwrap_err().to_string();
        assert!(error.contains("another process listens"), "{error}");
        drop(live);
        assert!(path.exists(), "a closed std listener leaves its file, as a killed server does");
        let (_listener, _file) = bind(&path, 0o666).unwrap();
        assert!(UnixStream::connect(&path).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn other_files_and_missing_directories_are_errors() {
        let dir = temp_dir("bad");
        let file = dir.join("plain");
        std::fs::write(&file, "data").unwrap();
        let error = format!("{:#}", bind(&file, 0o666).unwrap_err());
        assert!(error.contains("is not a unix socket"), "{error}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "data", "the file is left alone");
        let error = format!("{:#}", bind(&dir.join("missing/s.sock"), 0o666).unwrap_err());
        assert!(
            error.contains("cannot listen on unix socket") && error.contains("missing/s.sock"),
            "{error}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
