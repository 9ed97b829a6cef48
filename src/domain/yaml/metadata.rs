//! Pipeline metadata, mirroring upstream's `frontend/metadata` types: the facts about
//! repo, current and previous pipeline, workflow, step, system and forge that feed the
//! `CI_*` environment, substitution and `when` filters.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Everything the engine knows about the pipeline being built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    pub repo: Repo,
    pub curr: Pipeline,
    pub prev: Pipeline,
    pub workflow: WorkflowMeta,
    pub step: StepMeta,
    pub sys: System,
    pub forge: Forge,
}

/// Repository facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Repo {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub owner: String,
    pub remote_id: String,
    /// Web URL of the repository on the forge.
    pub forge_url: String,
    pub clone_url: String,
    pub clone_url_ssh: String,
    pub private: bool,
    /// Default branch.
    pub branch: String,
    pub trusted: Trusted,
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// The repo's three trust flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Trusted {
    pub network: bool,
    pub volumes: bool,
    pub security: bool,
}

impl Trusted {
    /// Everything trusted (the CLI linter's view).
    pub const ALL: Trusted = Trusted { network: true, volumes: true, security: true };
}

/// A pipeline (current or previous).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pipeline {
    pub number: i64,
    pub parent: i64,
    pub created: i64,
    pub started: i64,
    pub finished: i64,
    pub status: String,
    pub event: String,
    pub event_reason: Vec<String>,
    pub forge_url: String,
    pub deploy_to: String,
    pub deploy_task: String,
    pub commit: Commit,
    pub author: String,
    pub avatar: String,
    pub cron: String,
    pub reruns: i64,
    pub release_title: String,
    pub is_prerelease: bool,
}

/// Commit facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Commit {
    pub sha: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub refspec: String,
    pub branch: String,
    pub message: String,
    pub timestamp: i64,
    pub author: Author,
    pub changed_files: Vec<String>,
    pub pull_request_labels: Vec<String>,
    pub pull_request_milestone: String,
    pub pull_request_draft: bool,
}

/// Commit author.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Author {
    pub name: String,
    pub email: String,
}

/// The workflow being built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkflowMeta {
    pub name: String,
    pub number: i64,
    pub matrix: IndexMap<String, String>,
}

/// The step (empty at compile time upstream).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepMeta {
    pub name: String,
    pub number: i64,
}

/// The CI system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct System {
    pub name: String,
    /// Public server URL (`WOODPECKER_HOST`).
    pub url: String,
    /// `host[:port]` of the URL.
    pub host: String,
    /// Empty on the server at compile time.
    pub platform: String,
    pub version: String,
}

/// The forge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Forge {
    /// Forge id in the server database (`woodpecker-ci.org/forge-id` label).
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// Events that count as pull request events.
pub fn is_pull_event(event: &str) -> bool {
    matches!(event, "pull_request" | "pull_request_closed" | "pull_request_metadata")
}
