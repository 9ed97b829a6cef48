//! Running the git CLI: the local forge reads and writes repositories only through `git`, never
//! by parsing objects itself.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context;
use tokio::process::Command;

/// What a git command printed when it succeeded, or why it failed.
pub(super) enum GitOutcome {
    /// Exit status 0: standard output.
    Success(Vec<u8>),
    /// Any other exit status: git's message on standard error, trimmed.
    Failure(String),
}

/// Runs `git <args>` against the bare repository at `git_dir`.
///
/// The repository may belong to another OS user than the server (`safe.directory=*`), and git
/// must never stop to ask for credentials.
///
/// # Errors
/// Only when git cannot be started at all; a failing command is a [`GitOutcome::Failure`].
pub(super) async fn git(git_dir: Option<&Path>, args: &[&str]) -> anyhow::Result<GitOutcome> {
    let mut cmd = Command::new("git");
    cmd.arg("-c").arg("safe.directory=*");
    if let Some(dir) = git_dir {
        cmd.arg("--git-dir").arg(dir);
    }
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = cmd.output().await.with_context(|| format!("cannot run git {}", args.join(" ")))?;
    Ok(if output.status.success() {
        GitOutcome::Success(output.stdout)
    } else {
        GitOutcome::Failure(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    })
}

/// Runs a git command that must succeed, returning its standard output.
///
/// # Errors
/// When git cannot be started or fails; the error names the command and git's message.
pub(super) async fn git_ok(git_dir: Option<&Path>, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    match git(git_dir, args).await? {
        GitOutcome::Success(out) => Ok(out),
        GitOutcome::Failure(message) => anyhow::bail!("git {} failed: {message}", args.join(" ")),
    }
}

/// Standard output as text without the trailing newline.
pub(super) fn text(out: Vec<u8>) -> String {
    let mut s = String::from_utf8_lossy(&out).into_owned();
    s.truncate(s.trim_end_matches('\n').len());
    s
}

/// The SHA git prints for "no object": the old side of a new ref, the new side of a deleted one.
pub(super) fn is_zero_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// Whether a string is a full object name (SHA-1 or SHA-256, lowercase hex).
pub(super) fn is_full_sha(sha: &str) -> bool {
    matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shas_are_recognised() {
        assert!(is_zero_sha(&"0".repeat(40)));
        assert!(!is_zero_sha(""));
        assert!(!is_zero_sha("0000000a"));
    }

    #[test]
    fn only_full_lowercase_hex_names_are_shas() {
        assert!(is_full_sha(&"ab12".repeat(10)));
        assert!(is_full_sha(&"f".repeat(64)));
        assert!(!is_full_sha("main"));
        assert!(!is_full_sha(&"AB12".repeat(10)));
        assert!(!is_full_sha(&format!("-{}", "a".repeat(39))));
    }

    #[test]
    fn text_drops_only_the_trailing_newlines() {
        assert_eq!(text(b"refs/heads/main\n".to_vec()), "refs/heads/main");
        assert_eq!(text(b" a b \n\n".to_vec()), " a b ");
    }
}
