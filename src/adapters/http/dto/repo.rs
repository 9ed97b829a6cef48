//! The `Repo` and `Perm` wire shapes.

use poem_openapi::Object;

use crate::adapters::http::dto::is_zero;
use crate::domain::perm::Perm;
use crate::domain::repo::{ApprovalMode, Repo, Trusted};

/// The privileges a repo's pipelines may use.
#[derive(Debug, Clone, Object)]
#[oai(rename = "TrustedConfiguration")]
pub struct TrustedDto {
    /// May use custom networks.
    pub network: bool,
    /// May mount host volumes.
    pub volumes: bool,
    /// May run privileged containers.
    pub security: bool,
}

impl From<Trusted> for TrustedDto {
    fn from(t: Trusted) -> Self {
        Self { network: t.network, volumes: t.volumes, security: t.security }
    }
}

/// A repo as the API shows it (3.x names; `gated`, `netrc_only_trusted` and `scm` repeat
/// the seed's 2.x fields for older clients).
#[derive(Debug, Clone, Object)]
#[oai(rename = "Repo")]
pub struct RepoDto {
    /// Store id.
    pub id: i64,
    /// The forge it lives on.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub forge_id: i64,
    /// Its id at the forge.
    pub forge_remote_id: String,
    /// Its namespace org.
    pub org_id: i64,
    /// Namespace name.
    pub owner: String,
    /// Repo name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// Avatar image URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub avatar_url: String,
    /// Web page at the forge.
    #[oai(default, skip_serializing_if_is_empty)]
    pub forge_url: String,
    /// Clone URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub clone_url: String,
    /// SSH clone URL.
    pub clone_url_ssh: String,
    /// Default branch.
    #[oai(default, skip_serializing_if_is_empty)]
    pub default_branch: String,
    /// The forge has pull requests enabled.
    pub pr_enabled: bool,
    /// Pipeline timeout in minutes.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    /// `public`, `private` or `internal`.
    pub visibility: String,
    /// Forge-side privacy.
    pub private: bool,
    /// Granted privileges.
    pub trusted: TrustedDto,
    /// `none`, `forks`, `pull_requests` or `all_events`.
    pub require_approval: String,
    /// Logins whose pipelines never wait for approval.
    pub approval_allowed_users: Vec<String>,
    /// Pipelines run.
    pub active: bool,
    /// Pull requests trigger pipelines.
    pub allow_pr: bool,
    /// Deployments trigger pipelines.
    pub allow_deploy: bool,
    /// Custom config path.
    pub config_file: String,
    /// Events whose new pipelines cancel older ones.
    pub cancel_previous_pipeline_events: Vec<String>,
    /// Plugin images trusted with clone credentials.
    pub netrc_trusted: Vec<String>,
    /// Config extension endpoint.
    pub config_extension_endpoint: String,
    /// Only the config extension's configs are used.
    pub config_extension_exclusive: bool,
    /// Clone credentials go to the config extension.
    pub config_extension_netrc: bool,
    /// Registry extension endpoint.
    pub registry_extension_endpoint: String,
    /// Clone credentials go to the registry extension.
    pub registry_extension_netrc: bool,
    /// Secret extension endpoint.
    pub secret_extension_endpoint: String,
    /// Clone credentials go to the secret extension.
    pub secret_extension_netrc: bool,
    /// 2.x: whether pipelines need approval.
    pub gated: bool,
    /// 2.x: clone credentials only for trusted images.
    pub netrc_only_trusted: bool,
    /// 2.x: the version control system (always `git`).
    pub scm: String,
}

impl From<&Repo> for RepoDto {
    fn from(r: &Repo) -> Self {
        Self {
            id: r.id,
            forge_id: r.forge_id,
            forge_remote_id: r.forge_remote_id.clone(),
            org_id: r.org_id,
            owner: r.owner.clone(),
            name: r.name.clone(),
            full_name: r.full_name.clone(),
            avatar_url: r.avatar_url.clone(),
            forge_url: r.forge_url.clone(),
            clone_url: r.clone_url.clone(),
            clone_url_ssh: r.clone_url_ssh.clone(),
            default_branch: r.default_branch.clone(),
            pr_enabled: r.pr_enabled,
            timeout: r.timeout,
            visibility: r.visibility.as_str().to_owned(),
            private: r.private,
            trusted: r.trusted.into(),
            require_approval: r.require_approval.as_str().to_owned(),
            approval_allowed_users: r.approval_allowed_users.clone(),
            active: r.active,
            allow_pr: r.allow_pr,
            allow_deploy: r.allow_deploy,
            config_file: r.config_file.clone(),
            cancel_previous_pipeline_events: r
                .cancel_previous_pipeline_events
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            netrc_trusted: r.netrc_trusted.clone(),
            config_extension_endpoint: r.config_extension_endpoint.clone(),
            config_extension_exclusive: r.config_extension_exclusive,
            config_extension_netrc: r.config_extension_netrc,
            registry_extension_endpoint: r.registry_extension_endpoint.clone(),
            registry_extension_netrc: r.registry_extension_netrc,
            secret_extension_endpoint: r.secret_extension_endpoint.clone(),
            secret_extension_netrc: r.secret_extension_netrc,
            gated: r.require_approval != ApprovalMode::None,
            netrc_only_trusted: !r.netrc_trusted.is_empty(),
            scm: "git".to_owned(),
        }
    }
}

/// A caller's effective permission on a repo.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Perm")]
pub struct PermDto {
    /// May read.
    pub pull: bool,
    /// May write.
    pub push: bool,
    /// Administers.
    pub admin: bool,
    /// Unix time of the last forge sync.
    pub synced: i64,
    /// Unix time of creation.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
}

impl From<&Perm> for PermDto {
    fn from(p: &Perm) -> Self {
        Self {
            pull: p.pull,
            push: p.push,
            admin: p.admin,
            synced: p.synced,
            created: p.created,
            updated: p.updated,
        }
    }
}
