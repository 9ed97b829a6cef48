//! Built-in `CI_*` variables from [`Metadata`] (upstream `metadata.Environ`). A variable
//! is set only when non-empty; numbers are always set.

use std::collections::BTreeMap;

use super::metadata::{Metadata, Pipeline, is_pull_event};

/// Most changed files listed in `CI_PIPELINE_FILES`; beyond that the variable is unset.
const MAX_CHANGED_FILES: usize = 500;

/// Deprecated variable names and their replacements (linted as deprecations).
pub const DEPRECATED_VARIABLES: [(&str, &str); 3] = [
    ("CI_COMMIT_PRERELEASE", "CI_PIPELINE_RELEASE_PRE"),
    ("CI_COMMIT_AUTHOR_AVATAR", "CI_PIPELINE_AVATAR"),
    ("CI_PREV_COMMIT_AUTHOR_AVATAR", "CI_PREV_PIPELINE_AVATAR"),
];

/// Compute the compile-time `CI_*` environment.
pub fn ci_environ(m: &Metadata) -> BTreeMap<String, String> {
    let mut env = pipeline_environ(m);
    set_workflow_vars(&mut env, &m.workflow.name, m.workflow.number);
    env
}

/// The `CI_WORKFLOW_*` variables: the only ones that differ between the workflows of a
/// pipeline.
pub fn set_workflow_vars(env: &mut BTreeMap<String, String>, name: &str, number: i64) {
    let mut env = Env(env);
    env.set("CI_WORKFLOW_NAME", name);
    env.set("CI_WORKFLOW_NUMBER", &number.to_string());
}

/// [`ci_environ`] without the `CI_WORKFLOW_*` variables, the same for every workflow.
pub fn pipeline_environ(m: &Metadata) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut env = Env(&mut map);
    let system_name = if m.sys.name.is_empty() { "woodpecker" } else { m.sys.name.as_str() };
    env.set("CI", system_name);
    env.set("CI_SYSTEM_NAME", system_name);
    env.set("CI_SYSTEM_URL", &m.sys.url);
    env.set("CI_SYSTEM_HOST", &m.sys.host);
    env.set("CI_SYSTEM_PLATFORM", &m.sys.platform);
    env.set("CI_SYSTEM_VERSION", &m.sys.version);
    env.set("CI_FORGE_TYPE", &m.forge.kind);
    env.set("CI_FORGE_URL", &m.forge.url);

    let repo = &m.repo;
    if !repo.owner.is_empty() || !repo.name.is_empty() {
        env.set("CI_REPO", &repo.full_name());
    }
    env.set("CI_REPO_NAME", &repo.name);
    env.set("CI_REPO_OWNER", &repo.owner);
    env.set("CI_REPO_REMOTE_ID", &repo.remote_id);
    env.set("CI_REPO_URL", &repo.forge_url);
    env.set("CI_REPO_CLONE_URL", &repo.clone_url);
    env.set("CI_REPO_CLONE_SSH_URL", &repo.clone_url_ssh);
    env.set("CI_REPO_DEFAULT_BRANCH", &repo.branch);
    env.set("CI_REPO_PRIVATE", &repo.private.to_string());
    let t = repo.trusted;
    env.set("CI_REPO_TRUSTED_NETWORK", &t.network.to_string());
    env.set("CI_REPO_TRUSTED_VOLUMES", &t.volumes.to_string());
    env.set("CI_REPO_TRUSTED_SECURITY", &t.security.to_string());
    env.set("CI_REPO_TRUSTED", &(t.network && t.volumes && t.security).to_string());

    let pipeline_url = format!("{}/repos/{}/pipeline/{}", m.sys.url, repo.id, m.curr.number);
    pipeline_vars(&mut env, "CI_PIPELINE", &m.curr, &pipeline_url);
    env.set("CI_PIPELINE_PARENT", &m.curr.parent.to_string());
    if m.curr.reruns > 0 {
        env.set("CI_PIPELINE_RERUNS", &m.curr.reruns.to_string());
    }
    let files = &m.curr.commit.changed_files;
    if files.len() <= MAX_CHANGED_FILES {
        env.set("CI_PIPELINE_FILES", &serde_json::to_string(files).unwrap_or_else(|_| "[]".into()));
    }
    if m.curr.event == "release" {
        env.set("CI_PIPELINE_RELEASE_TITLE", &m.curr.release_title);
        env.set("CI_PIPELINE_RELEASE_PRE", &m.curr.is_prerelease.to_string());
        env.set("CI_COMMIT_PRERELEASE", &m.curr.is_prerelease.to_string());
    }
    env.set("CI_STEP_NAME", &m.step.name);
    env.set("CI_STEP_NUMBER", &m.step.number.to_string());
    env.set("CI_STEP_URL", &pipeline_url);

    commit_vars(&mut env, "CI_COMMIT", &m.curr);
    let c = &m.curr.commit;
    if let Some(tag) = c.reference.strip_prefix("refs/tags/") {
        env.set("CI_COMMIT_TAG", tag);
    }
    if is_pull_event(&m.curr.event) {
        env.set("CI_COMMIT_PULL_REQUEST", &first_number(&c.reference));
        env.set("CI_COMMIT_PULL_REQUEST_LABELS", &c.pull_request_labels.join(","));
        env.set("CI_COMMIT_PULL_REQUEST_MILESTONE", &c.pull_request_milestone);
        env.set("CI_COMMIT_PULL_REQUEST_DRAFT", &c.pull_request_draft.to_string());
    }
    env.set("CI_COMMIT_AUTHOR_AVATAR", &m.curr.avatar);

    let prev_url = format!("{}/repos/{}/pipeline/{}", m.sys.url, repo.id, m.prev.number);
    pipeline_vars(&mut env, "CI_PREV_PIPELINE", &m.prev, &prev_url);
    env.set("CI_PREV_PIPELINE_PARENT", "0");
    env.set("CI_PREV_PIPELINE_STATUS", &m.prev.status);
    env.set("CI_PREV_PIPELINE_FINISHED", &m.prev.finished.to_string());
    env.set("CI_PREV_COMMIT_URL", &m.prev.forge_url);
    commit_vars(&mut env, "CI_PREV_COMMIT", &m.prev);
    env.set("CI_PREV_COMMIT_AUTHOR_AVATAR", &m.prev.avatar);
    map
}

/// Variables shared by the current and the previous pipeline.
fn pipeline_vars(env: &mut Env, prefix: &str, p: &Pipeline, url: &str) {
    env.set(&format!("{prefix}_NUMBER"), &p.number.to_string());
    env.set(&format!("{prefix}_EVENT"), &p.event);
    env.set(&format!("{prefix}_EVENT_REASON"), &p.event_reason.join(","));
    env.set(&format!("{prefix}_URL"), url);
    env.set(&format!("{prefix}_FORGE_URL"), &p.forge_url);
    env.set(&format!("{prefix}_DEPLOY_TARGET"), &p.deploy_to);
    env.set(&format!("{prefix}_DEPLOY_TASK"), &p.deploy_task);
    env.set(&format!("{prefix}_CREATED"), &p.created.to_string());
    env.set(&format!("{prefix}_STARTED"), &p.started.to_string());
    env.set(&format!("{prefix}_AUTHOR"), &p.author);
    env.set(&format!("{prefix}_AVATAR"), &p.avatar);
}

/// Commit variables shared by the current and the previous pipeline.
fn commit_vars(env: &mut Env, prefix: &str, p: &Pipeline) {
    let c = &p.commit;
    env.set(&format!("{prefix}_SHA"), &c.sha);
    env.set(&format!("{prefix}_REF"), &c.reference);
    env.set(&format!("{prefix}_REFSPEC"), &c.refspec);
    env.set(&format!("{prefix}_MESSAGE"), &c.message);
    env.set(&format!("{prefix}_BRANCH"), &c.branch);
    env.set(&format!("{prefix}_TIMESTAMP"), &c.timestamp.to_string());
    env.set(&format!("{prefix}_AUTHOR"), &c.author.name);
    env.set(&format!("{prefix}_AUTHOR_EMAIL"), &c.author.email);
    if is_pull_event(&p.event) {
        let (source, target) = c.refspec.split_once(':').unwrap_or((c.refspec.as_str(), ""));
        env.set(&format!("{prefix}_SOURCE_BRANCH"), source);
        env.set(&format!("{prefix}_TARGET_BRANCH"), target);
    }
}

/// First run of ASCII digits in `s` (the PR number inside `refs/pull/12/head`).
fn first_number(s: &str) -> String {
    s.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect()
}

struct Env<'a>(&'a mut BTreeMap<String, String>);

impl Env<'_> {
    fn set(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.0.insert(key.to_string(), value.to_string());
        }
    }
}
