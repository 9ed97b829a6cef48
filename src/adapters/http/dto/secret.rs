//! The `Secret` and `SecretPatch` wire shapes (api.md §3.8). One `Secret` shape serves both
//! directions, as upstream's: on input only `name`, `value`, `images`, `events` and `note` are
//! read (ids come from the path), and on output `value` is never written.

use poem_openapi::Object;

use crate::domain::event::WebhookEvent;
use crate::domain::secret::{Scope, Secret};
use crate::domain::validation::ValidationError;

/// A secret: the body of a creation, and every answer (without its value).
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "Secret")]
pub struct SecretDto {
    /// Store id (ignored on input).
    #[oai(default)]
    pub id: i64,
    /// Owning org, 0 unless an org secret (ignored on input).
    #[oai(default)]
    pub org_id: i64,
    /// Owning repo, 0 unless a repo secret (ignored on input).
    #[oai(default)]
    pub repo_id: i64,
    /// Name, unique within its scope.
    #[oai(default)]
    pub name: String,
    /// The value: accepted on input, never returned.
    #[oai(default, write_only)]
    pub value: String,
    /// Plugin images allowed to read it (empty = any).
    #[oai(default)]
    pub images: Vec<String>,
    /// Events whose pipelines may read it, sorted.
    #[oai(default)]
    pub events: Vec<String>,
    /// Free text.
    #[oai(default)]
    pub note: String,
}

impl From<&Secret> for SecretDto {
    fn from(s: &Secret) -> Self {
        Self {
            id: s.id,
            org_id: s.org_id,
            repo_id: s.repo_id,
            name: s.name.clone(),
            value: String::new(),
            images: s.images.clone(),
            events: s.events.iter().map(|e| e.as_str().to_owned()).collect(),
            note: s.note.clone(),
        }
    }
}

impl SecretDto {
    /// The secret this body asks to create in `scope`. Unknown event names are a validation
    /// failure, not a bind error, because upstream binds them as plain strings.
    pub fn into_secret(self, scope: Scope) -> Result<Secret, ValidationError> {
        let (org_id, repo_id) = scope.ids();
        Ok(Secret {
            id: 0,
            org_id,
            repo_id,
            name: self.name,
            value: self.value,
            images: self.images,
            events: parse_events(&self.events)?,
            note: self.note,
        })
    }
}

/// Changes to a secret: absent fields stay as they are.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "SecretPatch")]
pub struct SecretPatchDto {
    /// Ignored: secrets cannot be renamed.
    pub name: Option<String>,
    /// The new value; empty keeps the old one.
    pub value: Option<String>,
    /// New plugin images; `[]` clears them.
    pub images: Option<Vec<String>>,
    /// New events.
    pub events: Option<Vec<String>>,
    /// New note.
    pub note: Option<String>,
}

impl SecretPatchDto {
    /// Applies the patch as upstream does; the caller validates the result.
    pub fn apply(self, secret: &mut Secret) -> Result<(), ValidationError> {
        if let Some(value) = self.value.filter(|v| !v.is_empty()) {
            secret.value = value;
        }
        if let Some(images) = self.images {
            secret.images = images;
        }
        if let Some(events) = self.events {
            secret.events = parse_events(&events)?;
        }
        if let Some(note) = self.note {
            secret.note = note;
        }
        Ok(())
    }
}

/// Wire event names to events (the 2.x name `deploy` included).
fn parse_events(names: &[String]) -> Result<Vec<WebhookEvent>, ValidationError> {
    names
        .iter()
        .map(|n| n.parse().map_err(|_| ValidationError::new("events", format!("invalid secret event '{n}'"))))
        .collect()
}
