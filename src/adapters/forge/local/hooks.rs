//! Local webhooks: the `post-receive` script `activate` installs in a repository, and how the
//! notices that script posts become pipelines.

use std::path::{Path, PathBuf};

use anyhow::Context;
use url::Url;

use super::LocalForge;
use super::git::{GitOutcome, git, git_ok, is_full_sha, is_zero_sha, text};
use super::hook_client::{PushNotice, REPO_ID_PARAM};
use super::repos::RepoDir;
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::Pipeline;
use crate::ports::forge::{ForgeError, HookOutcome, HookRequest, ParsedHook};

/// The line that marks a hook script as Nuthatch's, so `deactivate` removes only its own.
const MARKER: &str = "# Installed by Nuthatch: reports pushes to the CI server. Do not edit.";

/// The hook script's path in a bare repository.
fn script_path(repo: &RepoDir) -> PathBuf {
    repo.path.join("hooks").join("post-receive")
}

/// The `post-receive` script that runs `executable local-hook --url <link + repo id>`.
///
/// # Errors
/// When `link` is not a URL.
pub(super) fn script(executable: &Path, link: &str, repo_id: &str) -> anyhow::Result<String> {
    let mut url = Url::parse(link).with_context(|| format!("invalid hook link '{link}'"))?;
    url.query_pairs_mut().append_pair(REPO_ID_PARAM, repo_id);
    Ok(format!(
        "#!/bin/sh\n{MARKER}\nexec {} local-hook --url {}\n",
        shell_quote(&executable.to_string_lossy()),
        shell_quote(url.as_str())
    ))
}

/// Quotes a word for `sh`: inside single quotes nothing is special but the quote itself.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Installs (or replaces) the repository's `post-receive` script, executable.
pub(super) async fn install(repo: &RepoDir, script: &str) -> anyhow::Result<()> {
    let path = script_path(repo);
    tokio::fs::create_dir_all(path.parent().unwrap_or(&repo.path))
        .await
        .with_context(|| format!("cannot create the hooks directory of {}", repo.path.display()))?;
    super::atomic_write(&path, script.as_bytes(), 0o755).await
}

/// Removes the repository's `post-receive` script if Nuthatch installed it.
pub(super) async fn remove(repo: &RepoDir) -> anyhow::Result<()> {
    let path = script_path(repo);
    match tokio::fs::read_to_string(&path).await {
        Ok(content) if content.lines().any(|l| l == MARKER) => {
            tokio::fs::remove_file(&path).await.with_context(|| format!("cannot remove {}", path.display()))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Reads a hook request's body as a push notice.
fn notice(request: &HookRequest) -> Result<PushNotice, ForgeError> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(ForgeError::InvalidHook(format!("expected POST, got {}", request.method)));
    }
    let notice: PushNotice = serde_json::from_slice(&request.body)
        .map_err(|e| ForgeError::InvalidHook(format!("the body is not a push notice: {e}")))?;
    for (field, sha) in [("before", &notice.before), ("after", &notice.after)] {
        if !is_full_sha(sha) {
            return Err(ForgeError::InvalidHook(format!("'{field}' is not an object name: '{sha}'")));
        }
    }
    if !notice.git_ref.starts_with("refs/") {
        return Err(ForgeError::InvalidHook(format!("'{}' is not a ref", notice.git_ref)));
    }
    Ok(notice)
}

/// What kind of ref was pushed, and its short name.
struct Pushed<'a> {
    event: WebhookEvent,
    /// Branch or tag name.
    short_name: &'a str,
}

impl LocalForge {
    /// Turns a post-receive notice into a pipeline draft for the repository it names. The author
    /// is the login of the local account with the commit author's email, else the author's name.
    pub(super) async fn parse_hook(&self, request: &HookRequest) -> Result<HookOutcome, ForgeError> {
        let notice = notice(request)?;
        let dir = self.dirs.find_by_id(&self.root, &notice.repo_forge_remote_id).await?.ok_or_else(|| {
            ForgeError::NotFound(format!("repository with id '{}'", notice.repo_forge_remote_id))
        })?;
        if is_zero_sha(&notice.after) {
            return Ok(HookOutcome::Ignored(format!("{} was deleted", notice.git_ref)));
        }
        let pushed = if let Some(branch) = notice.git_ref.strip_prefix("refs/heads/") {
            Pushed { event: WebhookEvent::Push, short_name: branch }
        } else if let Some(tag) = notice.git_ref.strip_prefix("refs/tags/") {
            Pushed { event: WebhookEvent::Tag, short_name: tag }
        } else {
            return Ok(HookOutcome::Ignored(format!("{} is neither a branch nor a tag", notice.git_ref)));
        };
        let repo = self.load_repo(&dir).await?;
        let mut pipeline = draft(&dir, &notice, &pushed).await?;
        // Pushes over the file system carry no identity: the commit author's account stands in.
        if let Some(login) = self.accounts.login_by_email(&pipeline.author_email).await? {
            pipeline.sender = login.clone();
            pipeline.author = login;
        }
        Ok(HookOutcome::Pipeline(Box::new(ParsedHook { repo, pipeline })))
    }
}

/// The pipeline a push asks for, read from the repository.
async fn draft(dir: &RepoDir, notice: &PushNotice, pushed: &Pushed<'_>) -> Result<Pipeline, ForgeError> {
    // An annotated tag names a tag object; pipelines build the commit it points at.
    let commit = match git(
        Some(&dir.path),
        &["rev-parse", "--verify", "--quiet", &format!("{}^{{commit}}", notice.after)],
    )
    .await?
    {
        GitOutcome::Success(out) => text(out),
        GitOutcome::Failure(_) => {
            return Err(ForgeError::InvalidHook(format!("{} is not a commit in {}", notice.after, dir.name)));
        }
    };
    let log =
        text(git_ok(Some(&dir.path), &["log", "-1", "--format=%an%x00%ae%x00%at%x00%B", &commit]).await?);
    let mut fields = log.splitn(4, '\0');
    let mut next = || fields.next().unwrap_or_default().to_owned();
    let (author, author_email, timestamp, message) = (next(), next(), next(), next());
    let mut pipeline = Pipeline {
        event: pushed.event,
        commit: commit.clone(),
        git_ref: notice.git_ref.clone(),
        message: message.trim_end().to_owned(),
        timestamp: timestamp.parse().unwrap_or_default(),
        sender: author.clone(),
        author,
        author_email,
        ..Pipeline::default()
    };
    match pushed.event {
        WebhookEvent::Tag => pipeline.tag_title = pushed.short_name.to_owned(),
        _ => {
            pipeline.branch = pushed.short_name.to_owned();
            pipeline.changed_files = changed_files(dir, &notice.before, &commit).await?;
        }
    }
    Ok(pipeline)
}

/// Files a push changed: between the old and new head, or those of the new head's own commit
/// when the branch is new.
async fn changed_files(dir: &RepoDir, before: &str, after: &str) -> anyhow::Result<Vec<String>> {
    let out = if is_zero_sha(before) {
        git_ok(Some(&dir.path), &["diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", after])
            .await?
    } else {
        git_ok(Some(&dir.path), &["diff", "--name-only", "-z", before, after]).await?
    };
    Ok(out
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str) -> HookRequest {
        HookRequest { method: "POST".into(), headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn the_script_runs_nuthatch_with_the_link_naming_the_repo() {
        let script =
            script(Path::new("/opt/nut hatch/nuthatch"), "http://ci:8000/api/hook?access_token=t", "r-1")
                .unwrap();
        assert_eq!(
            script,
            format!(
                "#!/bin/sh\n{MARKER}\nexec '/opt/nut hatch/nuthatch' local-hook \
                 --url 'http://ci:8000/api/hook?access_token=t&forge_remote_id=r-1'\n"
            )
        );
    }

    #[test]
    fn quotes_cannot_break_out_of_the_shell_word() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn malformed_notices_are_invalid_hooks() {
        let sha = "a".repeat(40);
        for body in [
            "not json".to_owned(),
            "{}".to_owned(),
            format!(r#"{{"ref":"refs/heads/main","before":"x","after":"{sha}","repo_forge_remote_id":"r"}}"#),
            format!(r#"{{"ref":"main","before":"{sha}","after":"{sha}","repo_forge_remote_id":"r"}}"#),
        ] {
            assert!(matches!(notice(&request(&body)), Err(ForgeError::InvalidHook(_))), "{body}");
        }
        let get = HookRequest { method: "GET".into(), ..request("") };
        assert!(matches!(notice(&get), Err(ForgeError::InvalidHook(_))));
    }
}
