//! Webhook events: what happened at the forge (or in Nuthatch) that made a pipeline run.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The event that triggered a pipeline. The wire names are upstream's 3.x names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A branch was pushed.
    Push,
    /// A pull request was opened or updated.
    PullRequest,
    /// A pull request was closed or merged.
    PullRequestClosed,
    /// A pull request's labels, milestone or title changed.
    PullRequestMetadata,
    /// A tag was pushed.
    Tag,
    /// A release was published.
    Release,
    /// A deployment was requested.
    Deployment,
    /// A cron schedule fired.
    Cron,
    /// A user started the pipeline by hand.
    Manual,
}

impl WebhookEvent {
    /// Every event, in upstream's documented order.
    pub const ALL: [WebhookEvent; 9] = [
        Self::Push,
        Self::PullRequest,
        Self::PullRequestClosed,
        Self::PullRequestMetadata,
        Self::Tag,
        Self::Release,
        Self::Deployment,
        Self::Cron,
        Self::Manual,
    ];

    /// The wire name (`push`, `pull_request`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::PullRequest => "pull_request",
            Self::PullRequestClosed => "pull_request_closed",
            Self::PullRequestMetadata => "pull_request_metadata",
            Self::Tag => "tag",
            Self::Release => "release",
            Self::Deployment => "deployment",
            Self::Cron => "cron",
            Self::Manual => "manual",
        }
    }

    /// Whether the event concerns a pull request (these are what approval modes gate).
    pub fn is_pull_request(self) -> bool {
        matches!(self, Self::PullRequest | Self::PullRequestClosed | Self::PullRequestMetadata)
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a webhook event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown webhook event '{0}'")]
pub struct UnknownEvent(pub String);

impl FromStr for WebhookEvent {
    type Err = UnknownEvent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `deploy` is the name 2.x clients and the restart query still use.
        if s == "deploy" {
            return Ok(Self::Deployment);
        }
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| UnknownEvent(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_round_trips_through_its_wire_name() {
        for e in WebhookEvent::ALL {
            assert_eq!(e.as_str().parse::<WebhookEvent>(), Ok(e));
            assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{e}\""));
        }
    }

    #[test]
    fn the_2x_deploy_name_means_deployment() {
        assert_eq!("deploy".parse::<WebhookEvent>(), Ok(WebhookEvent::Deployment));
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert!("pushh".parse::<WebhookEvent>().is_err());
    }

    #[test]
    fn only_pull_request_events_are_pull_requests() {
        let prs: Vec<_> = WebhookEvent::ALL.into_iter().filter(|e| e.is_pull_request()).collect();
        assert_eq!(
            prs,
            [WebhookEvent::PullRequest, WebhookEvent::PullRequestClosed, WebhookEvent::PullRequestMetadata]
        );
    }
}
