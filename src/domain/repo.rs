//! Repositories: what Nuthatch builds, with the settings that decide how (approval, trust,
//! timeouts, config path) and the redirections that keep renamed repos reachable.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::event::WebhookEvent;
use crate::domain::validation::ValidationError;

/// Who may see a repo in Nuthatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, also anonymous visitors.
    #[default]
    Public,
    /// Only users with pull permission.
    Private,
    /// Every logged-in user.
    Internal,
}

/// Which pipelines wait for a human's approval before they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// Nothing waits.
    None,
    /// Pull requests from forks wait (upstream's default).
    #[default]
    Forks,
    /// Every pull request event waits.
    PullRequests,
    /// Every event except manual and cron waits.
    AllEvents,
}

/// Privileges a repo's pipelines may use; each needs a server admin to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Trusted {
    /// May use custom networks.
    pub network: bool,
    /// May mount host volumes.
    pub volumes: bool,
    /// May run privileged containers.
    pub security: bool,
}

/// A repository known to Nuthatch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Repo {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The owner: whose forge credentials Nuthatch uses for this repo.
    pub user_id: i64,
    /// The forge the repo lives on.
    pub forge_id: i64,
    /// The repo's id at that forge.
    pub forge_remote_id: String,
    /// The org (namespace) it belongs to.
    pub org_id: i64,
    /// Namespace name.
    pub owner: String,
    /// Repo name.
    pub name: String,
    /// `owner/name`, unique case-insensitively.
    pub full_name: String,
    /// Avatar image URL.
    pub avatar_url: String,
    /// Web page at the forge.
    pub forge_url: String,
    /// HTTP(S) clone URL.
    pub clone_url: String,
    /// SSH clone URL.
    pub clone_url_ssh: String,
    /// Default branch.
    pub default_branch: String,
    /// The forge has pull requests enabled.
    pub pr_enabled: bool,
    /// Pipeline timeout in minutes.
    pub timeout: i64,
    /// Who may see the repo in Nuthatch.
    pub visibility: Visibility,
    /// Forge-side privacy.
    pub private: bool,
    /// Granted privileges.
    pub trusted: Trusted,
    /// Which pipelines wait for approval.
    pub require_approval: ApprovalMode,
    /// Logins whose pipelines never wait for approval.
    pub approval_allowed_users: Vec<String>,
    /// Webhooks are installed and pipelines run.
    pub active: bool,
    /// Pull requests trigger pipelines.
    pub allow_pr: bool,
    /// Deployments trigger pipelines.
    pub allow_deploy: bool,
    /// Custom config path; empty means the defaults.
    pub config_file: String,
    /// Events whose new pipelines cancel older running ones of the same branch/ref.
    pub cancel_previous_pipeline_events: Vec<WebhookEvent>,
    /// Plugin images trusted with the clone credentials.
    pub netrc_trusted: Vec<String>,
    /// Config extension endpoint for this repo.
    pub config_extension_endpoint: String,
    /// Use only the extension's configs, never the forge's.
    pub config_extension_exclusive: bool,
    /// Send clone credentials to the config extension.
    pub config_extension_netrc: bool,
    /// Registry extension endpoint for this repo.
    pub registry_extension_endpoint: String,
    /// Send clone credentials to the registry extension.
    pub registry_extension_netrc: bool,
    /// Secret extension endpoint for this repo.
    pub secret_extension_endpoint: String,
    /// Send clone credentials to the secret extension.
    pub secret_extension_netrc: bool,
    /// Secret the repo's webhook tokens are signed with.
    pub hash: String,
}

/// Facts about a new pipeline that decide whether it must wait for approval.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalRequest<'a> {
    /// The triggering event.
    pub event: WebhookEvent,
    /// The change comes from a fork.
    pub from_fork: bool,
    /// The login of whoever caused it.
    pub author: &'a str,
}

impl Repo {
    /// Whether a pipeline with these facts must be `blocked` until someone approves it.
    pub fn needs_approval(&self, req: ApprovalRequest<'_>) -> bool {
        if matches!(req.event, WebhookEvent::Cron | WebhookEvent::Manual)
            || self.approval_allowed_users.iter().any(|u| u == req.author)
        {
            return false;
        }
        match self.require_approval {
            ApprovalMode::None => false,
            ApprovalMode::Forks => req.event.is_pull_request() && req.from_fork,
            ApprovalMode::PullRequests => req.event.is_pull_request(),
            ApprovalMode::AllEvents => true,
        }
    }
}

/// Checks a pipeline timeout (minutes): at least 1, and above `max` only for server admins.
pub fn validate_timeout(minutes: i64, max: i64, by_admin: bool) -> Result<(), ValidationError> {
    if minutes < 1 {
        return Err(ValidationError::new("timeout", "must be at least 1 minute"));
    }
    if minutes > max && !by_admin {
        return Err(ValidationError::new("timeout", format!("above {max} minutes needs a server admin")));
    }
    Ok(())
}

/// A record that a repo was once known by another full name, so old links still resolve.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirection {
    /// Store id.
    pub id: i64,
    /// The repo it leads to.
    pub repo_id: i64,
    /// The old `owner/name`.
    pub full_name: String,
}

macro_rules! wire_enum_from_str {
    ($ty:ty, $what:literal, $($name:literal => $variant:path),+ $(,)?) => {
        impl FromStr for $ty {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($variant),)+
                    other => Err(ValidationError::new($what, format!("unknown value '{other}'"))),
                }
            }
        }
        impl $ty {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($variant => $name,)+
                }
            }
        }
    };
}

wire_enum_from_str!(Visibility, "visibility",
    "public" => Visibility::Public, "private" => Visibility::Private, "internal" => Visibility::Internal);
wire_enum_from_str!(ApprovalMode, "require_approval",
    "none" => ApprovalMode::None, "forks" => ApprovalMode::Forks,
    "pull_requests" => ApprovalMode::PullRequests, "all_events" => ApprovalMode::AllEvents);

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(mode: ApprovalMode) -> Repo {
        Repo { require_approval: mode, approval_allowed_users: vec!["trusted-bot".into()], ..Repo::default() }
    }

    fn req(event: WebhookEvent, from_fork: bool, author: &str) -> ApprovalRequest<'_> {
        ApprovalRequest { event, from_fork, author }
    }

    #[test]
    fn forks_mode_gates_only_pull_requests_from_forks() {
        let r = repo(ApprovalMode::Forks);
        assert!(r.needs_approval(req(WebhookEvent::PullRequest, true, "stranger")));
        assert!(!r.needs_approval(req(WebhookEvent::PullRequest, false, "stranger")));
        assert!(!r.needs_approval(req(WebhookEvent::Push, true, "stranger")));
    }

    #[test]
    fn pull_requests_mode_gates_every_pull_request_event() {
        let r = repo(ApprovalMode::PullRequests);
        assert!(r.needs_approval(req(WebhookEvent::PullRequestClosed, false, "dev")));
        assert!(r.needs_approval(req(WebhookEvent::PullRequestMetadata, false, "dev")));
        assert!(!r.needs_approval(req(WebhookEvent::Tag, false, "dev")));
    }

    #[test]
    fn all_events_mode_spares_only_manual_and_cron() {
        let r = repo(ApprovalMode::AllEvents);
        assert!(r.needs_approval(req(WebhookEvent::Push, false, "dev")));
        assert!(!r.needs_approval(req(WebhookEvent::Manual, false, "dev")));
        assert!(!r.needs_approval(req(WebhookEvent::Cron, false, "dev")));
    }

    #[test]
    fn allowed_users_are_never_gated() {
        let r = repo(ApprovalMode::AllEvents);
        assert!(!r.needs_approval(req(WebhookEvent::PullRequest, true, "trusted-bot")));
    }

    #[test]
    fn none_mode_gates_nothing() {
        assert!(!repo(ApprovalMode::None).needs_approval(req(WebhookEvent::PullRequest, true, "x")));
    }

    #[test]
    fn timeouts_above_the_maximum_need_an_admin() {
        assert!(validate_timeout(0, 120, true).is_err());
        assert!(validate_timeout(60, 120, false).is_ok());
        assert!(validate_timeout(121, 120, false).is_err());
        assert!(validate_timeout(121, 120, true).is_ok());
    }

    #[test]
    fn enums_parse_their_wire_names() {
        assert_eq!("all_events".parse::<ApprovalMode>(), Ok(ApprovalMode::AllEvents));
        assert_eq!(Visibility::Internal.as_str(), "internal");
        assert!("secret".parse::<Visibility>().is_err());
    }
}
