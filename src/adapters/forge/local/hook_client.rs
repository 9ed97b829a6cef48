//! The client side of local webhooks: `nuthatch local-hook`, run by a repository's
//! `post-receive` hook, posts one notice per pushed ref to the server's hook URL.
//!
//! It speaks just enough HTTP/1.1 over a plain TCP stream to do that, so the hook needs neither
//! curl nor a TLS stack: the server it calls runs on the same machine.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

/// The query parameter of the hook URL that names the repo (its `forge_remote_id`); `activate`
/// adds it, and the client copies it into each notice.
pub const REPO_ID_PARAM: &str = "forge_remote_id";

/// How long the whole exchange with the server may take before the push stops waiting.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What the hook tells the server about one pushed ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushNotice {
    /// The ref, e.g. `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Its old object name (all zeros: the ref is new).
    pub before: String,
    /// Its new object name (all zeros: the ref was deleted).
    pub after: String,
    /// The repo's id at the local forge.
    pub repo_forge_remote_id: String,
}

/// Posts a notice for every `<old> <new> <ref>` line git gave the `post-receive` hook on stdin.
///
/// # Errors
/// When the URL is not an `http://` URL naming the repo, a line is malformed, the server cannot
/// be reached in time, or it answers with a status other than 2xx (the error names the status).
pub async fn notify_post_receive(url: &str, input: &str) -> anyhow::Result<()> {
    let url = Url::parse(url).with_context(|| format!("invalid hook URL '{url}'"))?;
    if url.scheme() != "http" {
        bail!("the hook URL must be http://, not {}://", url.scheme());
    }
    let repo_id = url
        .query_pairs()
        .find(|(k, _)| k == REPO_ID_PARAM)
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("the hook URL has no '{REPO_ID_PARAM}' parameter"))?;
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let notice = parse_line(line, &repo_id)?;
        let body = serde_json::to_vec(&notice).context("cannot encode the push notice")?;
        tokio::time::timeout(TIMEOUT, post_json(&url, &body))
            .await
            .with_context(|| format!("no answer from {url} within {TIMEOUT:?}"))??;
    }
    Ok(())
}

fn parse_line(line: &str, repo_id: &str) -> anyhow::Result<PushNotice> {
    let mut fields = line.split_whitespace();
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(before), Some(after), Some(git_ref), None) => Ok(PushNotice {
            git_ref: git_ref.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            repo_forge_remote_id: repo_id.to_owned(),
        }),
        _ => bail!("expected '<old> <new> <ref>' from git, got '{line}'"),
    }
}

async fn post_json(url: &Url, body: &[u8]) -> anyhow::Result<()> {
    let host = url.host_str().context("the hook URL has no host")?;
    // Name resolution wants IPv6 addresses without the URL's brackets.
    let bare_host = match url.host() {
        Some(Host::Ipv6(addr)) => addr.to_string(),
        _ => host.to_owned(),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let mut stream = TcpStream::connect((bare_host.as_str(), port))
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: nuthatch-local-hook\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.context("cannot send the request")?;
    stream.write_all(body).await.context("cannot send the request body")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.context("cannot read the answer")?;
    check_status(&response)
}

/// Accepts a response whose status line says 2xx.
fn check_status(response: &[u8]) -> anyhow::Result<()> {
    let end = response.iter().position(|&b| b == b'\n').unwrap_or(response.len());
    let status_line = String::from_utf8_lossy(&response[..end]);
    let status_line = status_line.trim_end();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !version.starts_with("HTTP/") || code.len() != 3 {
        bail!("the hook endpoint did not answer HTTP (got '{status_line}')");
    }
    if !code.starts_with('2') {
        bail!("the hook endpoint answered {}", &status_line[version.len()..].trim_start());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_git_line_becomes_a_notice_for_the_repo() {
        let notice = parse_line("aaa bbb refs/heads/main", "r1").unwrap();
        assert_eq!(notice.git_ref, "refs/heads/main");
        assert_eq!((notice.before.as_str(), notice.after.as_str()), ("aaa", "bbb"));
        assert_eq!(
            serde_json::to_string(&notice).unwrap(),
            r#"{"ref":"refs/heads/main","before":"aaa","after":"bbb","repo_forge_remote_id":"r1"}"#
        );
        assert!(parse_line("aaa bbb", "r1").is_err());
    }

    #[test]
    fn only_2xx_answers_are_success() {
        assert!(check_status(b"HTTP/1.1 200 OK\r\n\r\n").is_ok());
        assert!(check_status(b"HTTP/1.1 204 No Content\r\n\r\n").is_ok());
        let err = check_status(b"HTTP/1.1 400 Bad Request\r\n\r\nfailure").unwrap_err();
        assert_eq!(err.to_string(), "the hook endpoint answered 400 Bad Request");
        assert!(check_status(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(check_status(b"").is_err());
    }

    #[tokio::test]
    async fn a_refusing_server_fails_the_hook_with_its_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/hook?forge_remote_id=r", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            while !request.ends_with(b"}") {
                let mut buf = [0u8; 512];
                let n = stream.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nfailure to parse hook").await.unwrap();
        });
        let err = notify_post_receive(&url, "aaa bbb refs/heads/main\n").await.unwrap_err();
        assert_eq!(err.to_string(), "the hook endpoint answered 400 Bad Request");
    }

    #[tokio::test]
    async fn only_http_urls_that_name_the_repo_are_accepted() {
        let https = notify_post_receive("https://ci.example.com/api/hook?forge_remote_id=r", "").await;
        assert!(https.unwrap_err().to_string().contains("http://"));
        let unnamed = notify_post_receive("http://127.0.0.1:1/api/hook", "").await;
        assert!(unnamed.unwrap_err().to_string().contains(REPO_ID_PARAM));
    }
}
