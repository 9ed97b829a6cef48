//! The `Forge` and `ForgeWithOAuthClientSecret` wire shapes (api.md §3.14). The OAuth client
//! secret is accepted on input and never written; callers who are not server admins see only
//! `id`, `type` and `url`.

use std::collections::BTreeMap;

use poem_openapi::Object;

use crate::adapters::http::dto::is_false;
use crate::domain::forge::{Forge, ForgeType};
use crate::domain::validation::ValidationError;

/// A configured forge.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Forge")]
pub struct ForgeDto {
    /// Store id.
    pub id: i64,
    /// Kind of code host.
    #[oai(rename = "type")]
    pub forge_type: String,
    /// Base URL.
    pub url: String,
    /// OAuth client id.
    #[oai(skip_serializing_if_is_none)]
    pub client: Option<String>,
    /// Skip TLS verification.
    #[oai(default, skip_serializing_if = "is_false")]
    pub skip_verify: bool,
    /// OAuth host, when it differs from `url`.
    #[oai(skip_serializing_if_is_none)]
    pub oauth_host: Option<String>,
    /// Orgs whose members may log in.
    #[oai(default, skip_serializing_if_is_empty)]
    pub orgs: Vec<String>,
    /// Forge-specific options.
    #[oai(default, skip_serializing_if_is_empty)]
    pub additional_options: BTreeMap<String, serde_json::Value>,
}

impl ForgeDto {
    /// Everything but the secret (for server admins).
    pub fn full(f: &Forge) -> Self {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Self {
            client: some(&f.client),
            skip_verify: f.skip_verify,
            oauth_host: some(&f.oauth_host),
            orgs: f.orgs.clone(),
            additional_options: f.additional_options.clone(),
            ..Self::public(f)
        }
    }

    /// Only `id`, `type` and `url` (for everyone else).
    pub fn public(f: &Forge) -> Self {
        Self {
            id: f.id,
            forge_type: f.forge_type.as_str().to_owned(),
            url: f.url.clone(),
            client: None,
            skip_verify: false,
            oauth_host: None,
            orgs: Vec::new(),
            additional_options: BTreeMap::new(),
        }
    }
}

/// The body of a forge creation or patch: the forge fields and its OAuth client secret.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "ForgeWithOAuthClientSecret")]
pub struct ForgeInputDto {
    /// Kind of code host.
    #[oai(rename = "type", default)]
    pub forge_type: String,
    /// Base URL.
    #[oai(default)]
    pub url: String,
    /// OAuth client id.
    #[oai(default)]
    pub client: String,
    /// OAuth client secret; empty on a patch keeps the stored one.
    #[oai(default, write_only)]
    pub oauth_client_secret: String,
    /// Skip TLS verification.
    #[oai(default)]
    pub skip_verify: bool,
    /// OAuth host, when it differs from `url`.
    #[oai(default)]
    pub oauth_host: String,
    /// Orgs whose members may log in.
    #[oai(default)]
    pub orgs: Vec<String>,
    /// Forge-specific options.
    #[oai(default)]
    pub additional_options: BTreeMap<String, serde_json::Value>,
}

impl ForgeInputDto {
    /// Replaces every field of `forge` with the body's, as upstream's PATCH does; the secret
    /// only when one is given.
    pub fn apply(self, forge: &mut Forge) -> Result<(), ValidationError> {
        forge.forge_type = self.forge_type.parse::<ForgeType>()?;
        if self.url.trim().is_empty() {
            return Err(ValidationError::new("url", "must not be empty"));
        }
        forge.url = self.url;
        forge.client = self.client;
        if !self.oauth_client_secret.is_empty() {
            forge.client_secret = self.oauth_client_secret;
        }
        forge.skip_verify = self.skip_verify;
        forge.oauth_host = self.oauth_host;
        forge.orgs = self.orgs;
        forge.additional_options = self.additional_options;
        Ok(())
    }
}
