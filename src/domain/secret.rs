//! Secrets: named values injected into steps, limited to some events and plugin images. Scoped to
//! a repo, an org, or the whole server; at pipeline time repo beats org beats global.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::event::WebhookEvent;
use crate::domain::validation::ValidationError;

/// A secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secret {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Owning org (0 unless an org secret).
    pub org_id: i64,
    /// Owning repo (0 unless a repo secret).
    pub repo_id: i64,
    /// Name, unique within its scope.
    pub name: String,
    /// The value; never shown by the API.
    pub value: String,
    /// Plugin images allowed to read it (empty = any).
    pub images: Vec<String>,
    /// Events whose pipelines may read it, kept sorted.
    pub events: Vec<WebhookEvent>,
    /// Free text.
    pub note: String,
}

/// Where a secret (or registry) lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Server-wide.
    Global,
    /// One org.
    Org(i64),
    /// One repo.
    Repo(i64),
}

impl Scope {
    /// The scope from stored `(org_id, repo_id)`.
    pub fn from_ids(org_id: i64, repo_id: i64) -> Self {
        match (org_id, repo_id) {
            (_, r) if r != 0 => Self::Repo(r),
            (o, _) if o != 0 => Self::Org(o),
            _ => Self::Global,
        }
    }

    /// The stored `(org_id, repo_id)` of this scope.
    pub fn ids(self) -> (i64, i64) {
        match self {
            Self::Global => (0, 0),
            Self::Org(o) => (o, 0),
            Self::Repo(r) => (0, r),
        }
    }

    /// Resolution rank: a repo secret beats an org one, which beats a global one.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Repo(_) => 2,
            Self::Org(_) => 1,
            Self::Global => 0,
        }
    }
}

/// An image reference: optional `host[:port]/`, optional path, name, optional tag without dots,
/// optional sha256 digest. Upstream rejects tags with dots, and so do we, for compatibility.
/// Word characters are ASCII only, as in Go's regexp; the pattern is also the API document's.
pub const IMAGE_PATTERN: &str = r"^([A-Za-z0-9_.-]+(:[0-9]+)?/)?([A-Za-z0-9_.-][A-Za-z0-9_./-]*/)?[A-Za-z0-9_.-]+(:[A-Za-z0-9_-]+)?(@sha256:[a-f0-9]{64})?$";

static IMAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(IMAGE_PATTERN).expect("image pattern compiles"));

impl Secret {
    /// The scope it lives in.
    pub fn scope(&self) -> Scope {
        Scope::from_ids(self.org_id, self.repo_id)
    }

    /// Checks the rules every stored secret obeys (on create and after a patch), and sorts
    /// `events` as the store keeps them.
    pub fn validate(&mut self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new("name", "must not be empty"));
        }
        if self.value.is_empty() {
            return Err(ValidationError::new("value", "must not be empty"));
        }
        if self.events.is_empty() {
            return Err(ValidationError::new(
                "events",
                "invalid secret event: at least one event is required",
            ));
        }
        if let Some(bad) = self.images.iter().find(|i| i.is_empty() || !IMAGE.is_match(i)) {
            return Err(ValidationError::new("images", format!("invalid image '{bad}'")));
        }
        self.events.sort();
        self.events.dedup();
        Ok(())
    }

    /// Whether a step of a pipeline with `event`, running `image`, may read it.
    pub fn available_to(&self, event: WebhookEvent, image: &str) -> bool {
        self.events.contains(&event) && (self.images.is_empty() || self.images.iter().any(|i| i == image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret {
            name: "token".into(),
            value: "s3cr3t".into(),
            events: vec![WebhookEvent::Tag, WebhookEvent::Push],
            ..Secret::default()
        }
    }

    #[test]
    fn a_complete_secret_is_valid_and_its_events_get_sorted() {
        let mut s = secret();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.events, [WebhookEvent::Push, WebhookEvent::Tag]);
    }

    #[test]
    fn name_value_and_events_are_required() {
        for broken in [
            Secret { name: " ".into(), ..secret() },
            Secret { value: String::new(), ..secret() },
            Secret { events: vec![], ..secret() },
        ] {
            assert!(broken.clone().validate().is_err(), "{broken:?}");
        }
    }

    #[test]
    fn images_follow_upstreams_pattern() {
        for ok in [
            "alpine",
            "alpine:latest",
            "woodpeckerci/plugin-git",
            "registry.example.com:5000/team/app:v1",
            "ghcr.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            let mut s = Secret { images: vec![ok.into()], ..secret() };
            assert_eq!(s.validate(), Ok(()), "{ok}");
        }
        for bad in ["", "alpine:3.18", "plugin-git:2.6.0", "has space", "img@sha256:xyz"] {
            let mut s = Secret { images: vec![bad.into()], ..secret() };
            assert!(s.validate().is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn availability_checks_event_and_image() {
        let s = Secret { images: vec!["plugins/docker".into()], ..secret() };
        assert!(s.available_to(WebhookEvent::Push, "plugins/docker"));
        assert!(!s.available_to(WebhookEvent::PullRequest, "plugins/docker"));
        assert!(!s.available_to(WebhookEvent::Push, "alpine"));
        assert!(secret().available_to(WebhookEvent::Tag, "anything"));
    }

    #[test]
    fn scopes_rank_repo_over_org_over_global() {
        assert_eq!(Scope::from_ids(0, 5), Scope::Repo(5));
        assert_eq!(Scope::from_ids(3, 0), Scope::Org(3));
        assert_eq!(Scope::from_ids(0, 0), Scope::Global);
        assert!(Scope::Repo(1).precedence() > Scope::Org(1).precedence());
        assert!(Scope::Org(1).precedence() > Scope::Global.precedence());
        assert_eq!(Scope::Org(3).ids(), (3, 0));
    }
}
