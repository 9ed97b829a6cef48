//! The `metadata.Metadata` wire shape (api.md §3.15) of `GET .../pipelines/{n}/metadata`: the
//! facts a pipeline was built with, under upstream's JSON names. Nested objects are always
//! present; scalars and lists inside them are left out when empty, as Go's `omitempty` does.

use std::collections::BTreeMap;

use poem_openapi::Object;

use crate::adapters::http::dto::{is_false, is_zero};
use crate::domain::yaml::metadata as meta;

/// The repo a pipeline belongs to.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataRepo")]
pub struct MetaRepoDto {
    /// Store id.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub id: i64,
    /// Repo name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub name: String,
    /// Namespace.
    #[oai(default, skip_serializing_if_is_empty)]
    pub owner: String,
    /// The org.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub org_id: i64,
    /// Id at the forge.
    #[oai(default, skip_serializing_if_is_empty)]
    pub remote_id: String,
    /// Web page at the forge.
    #[oai(default, skip_serializing_if_is_empty)]
    pub forge_url: String,
    /// HTTP(S) clone URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub clone_url: String,
    /// SSH clone URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub clone_url_ssh: String,
    /// Private at the forge.
    #[oai(default, skip_serializing_if = "is_false")]
    pub private: bool,
    /// Default branch.
    #[oai(default, skip_serializing_if_is_empty)]
    pub default_branch: String,
    /// Granted privileges.
    pub trusted: MetaTrustedDto,
}

/// A repo's granted privileges.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataTrusted")]
pub struct MetaTrustedDto {
    /// Custom networks.
    pub network: bool,
    /// Host volumes.
    pub volumes: bool,
    /// Privileged containers.
    pub security: bool,
}

/// A commit author.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataAuthor")]
pub struct MetaAuthorDto {
    /// Name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub name: String,
    /// Email.
    #[oai(default, skip_serializing_if_is_empty)]
    pub email: String,
}

/// The commit a pipeline built.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataCommit")]
pub struct MetaCommitDto {
    /// SHA.
    #[oai(default, skip_serializing_if_is_empty)]
    pub sha: String,
    /// Git ref.
    #[oai(rename = "ref", default, skip_serializing_if_is_empty)]
    pub git_ref: String,
    /// Refspec.
    #[oai(default, skip_serializing_if_is_empty)]
    pub refspec: String,
    /// Branch.
    #[oai(default, skip_serializing_if_is_empty)]
    pub branch: String,
    /// Message.
    #[oai(default, skip_serializing_if_is_empty)]
    pub message: String,
    /// Commit time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub timestamp: i64,
    /// Author.
    pub author: MetaAuthorDto,
    /// Files the change touched.
    #[oai(default, skip_serializing_if_is_empty)]
    pub changed_files: Vec<String>,
    /// Pull request labels.
    #[oai(default, skip_serializing_if_is_empty)]
    pub labels: Vec<String>,
    /// Pull request milestone.
    #[oai(default, skip_serializing_if_is_empty)]
    pub milestone: String,
    /// Pull request is a draft.
    #[oai(default, skip_serializing_if = "is_false")]
    pub draft: bool,
}

/// Release facts of a release pipeline.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataRelease")]
pub struct MetaReleaseDto {
    /// Release title.
    #[oai(default, skip_serializing_if_is_empty)]
    pub title: String,
    /// Pre-release.
    #[oai(default, skip_serializing_if = "is_false")]
    pub is_prerelease: bool,
}

/// The current or previous pipeline.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataPipeline")]
pub struct MetaPipelineDto {
    /// Number within the repo.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub number: i64,
    /// Unix creation time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub created: i64,
    /// Unix start time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub started: i64,
    /// Unix finish time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub finished: i64,
    /// Status.
    #[oai(default, skip_serializing_if_is_empty)]
    pub status: String,
    /// Triggering event.
    #[oai(default, skip_serializing_if_is_empty)]
    pub event: String,
    /// Why the forge sent the event.
    #[oai(default, skip_serializing_if_is_empty)]
    pub event_reason: Vec<String>,
    /// Link at the forge.
    #[oai(default, skip_serializing_if_is_empty)]
    pub forge_url: String,
    /// Deployment target.
    #[oai(default, skip_serializing_if_is_empty)]
    pub target: String,
    /// Deployment task.
    #[oai(default, skip_serializing_if_is_empty)]
    pub task: String,
    /// The commit.
    pub commit: MetaCommitDto,
    /// Number of the pipeline this one restarted (current pipeline only).
    #[oai(default, skip_serializing_if = "is_zero")]
    pub parent: i64,
    /// Restart count.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub rerun_count: i64,
    /// Cron name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub cron: String,
    /// Release facts.
    pub release: MetaReleaseDto,
    /// Who caused it.
    #[oai(default, skip_serializing_if_is_empty)]
    pub author: String,
    /// Author avatar URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub avatar: String,
}

/// The workflow (empty outside the compiler).
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataWorkflow")]
pub struct MetaWorkflowDto {
    /// Name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub name: String,
    /// Number within the pipeline.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub number: i64,
    /// Matrix axis values.
    #[oai(default, skip_serializing_if_is_empty)]
    pub matrix: BTreeMap<String, String>,
}

/// The step (always empty on the server).
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataStep")]
pub struct MetaStepDto {
    /// Name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub name: String,
    /// Number.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub number: i64,
}

/// The CI system.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataSystem")]
pub struct MetaSystemDto {
    /// `woodpecker`.
    #[oai(default, skip_serializing_if_is_empty)]
    pub name: String,
    /// `host[:port]` of the server URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub host: String,
    /// Public server URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub url: String,
    /// Platform (set by the agent; empty here).
    #[oai(default, skip_serializing_if_is_empty)]
    pub arch: String,
    /// Server version.
    #[oai(default, skip_serializing_if_is_empty)]
    pub version: String,
}

/// The forge.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetadataForge")]
pub struct MetaForgeDto {
    /// Forge type.
    #[oai(rename = "type", default, skip_serializing_if_is_empty)]
    pub kind: String,
    /// Base URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub url: String,
}

/// The facts a pipeline was built with.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Metadata")]
pub struct MetadataDto {
    /// The repo.
    pub repo: MetaRepoDto,
    /// The pipeline.
    pub curr: MetaPipelineDto,
    /// The newest earlier pipeline of the same branch.
    pub prev: MetaPipelineDto,
    /// The workflow.
    pub workflow: MetaWorkflowDto,
    /// The step.
    pub step: MetaStepDto,
    /// The CI system.
    pub sys: MetaSystemDto,
    /// The forge.
    pub forge: MetaForgeDto,
}

impl From<&meta::Pipeline> for MetaPipelineDto {
    fn from(p: &meta::Pipeline) -> Self {
        let c = &p.commit;
        Self {
            number: p.number,
            created: p.created,
            started: p.started,
            finished: p.finished,
            status: p.status.clone(),
            event: p.event.clone(),
            event_reason: p.event_reason.clone(),
            forge_url: p.forge_url.clone(),
            target: p.deploy_to.clone(),
            task: p.deploy_task.clone(),
            commit: MetaCommitDto {
                sha: c.sha.clone(),
                git_ref: c.reference.clone(),
                refspec: c.refspec.clone(),
                branch: c.branch.clone(),
                message: c.message.clone(),
                timestamp: c.timestamp,
                author: MetaAuthorDto { name: c.author.name.clone(), email: c.author.email.clone() },
                changed_files: c.changed_files.clone(),
                labels: c.pull_request_labels.clone(),
                milestone: c.pull_request_milestone.clone(),
                draft: c.pull_request_draft,
            },
            parent: p.parent,
            rerun_count: p.reruns,
            cron: p.cron.clone(),
            release: MetaReleaseDto { title: p.release_title.clone(), is_prerelease: p.is_prerelease },
            author: p.author.clone(),
            avatar: p.avatar.clone(),
        }
    }
}

impl From<&meta::Metadata> for MetadataDto {
    fn from(m: &meta::Metadata) -> Self {
        let r = &m.repo;
        Self {
            repo: MetaRepoDto {
                id: r.id,
                name: r.name.clone(),
                owner: r.owner.clone(),
                org_id: r.org_id,
                remote_id: r.remote_id.clone(),
                forge_url: r.forge_url.clone(),
                clone_url: r.clone_url.clone(),
                clone_url_ssh: r.clone_url_ssh.clone(),
                private: r.private,
                default_branch: r.branch.clone(),
                trusted: MetaTrustedDto {
                    network: r.trusted.network,
                    volumes: r.trusted.volumes,
                    security: r.trusted.security,
                },
            },
            curr: MetaPipelineDto::from(&m.curr),
            prev: MetaPipelineDto::from(&m.prev),
            workflow: MetaWorkflowDto {
                name: m.workflow.name.clone(),
                number: m.workflow.number,
                matrix: m.workflow.matrix.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            },
            step: MetaStepDto { name: m.step.name.clone(), number: m.step.number },
            sys: MetaSystemDto {
                name: m.sys.name.clone(),
                host: m.sys.host.clone(),
                url: m.sys.url.clone(),
                arch: m.sys.platform.clone(),
                version: m.sys.version.clone(),
            },
            forge: MetaForgeDto { kind: m.forge.kind.clone(), url: m.forge.url.clone() },
        }
    }
}
