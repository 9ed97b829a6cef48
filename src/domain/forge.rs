//! Forges: the code hosts (GitHub, Gitea, ...) or the built-in local forge users log in through
//! and repos live on.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::validation::ValidationError;

/// The kind of code host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForgeType {
    /// GitHub or GitHub Enterprise.
    Github,
    /// GitLab.
    Gitlab,
    /// Gitea.
    Gitea,
    /// Forgejo.
    Forgejo,
    /// Bitbucket Cloud.
    Bitbucket,
    /// Bitbucket Data Center.
    BitbucketDc,
    /// An external forge addon.
    Addon,
    /// Nuthatch's built-in forge of git repositories on the server.
    Local,
}

impl ForgeType {
    /// Every forge type.
    pub const ALL: [ForgeType; 8] = [
        Self::Github,
        Self::Gitlab,
        Self::Gitea,
        Self::Forgejo,
        Self::Bitbucket,
        Self::BitbucketDc,
        Self::Addon,
        Self::Local,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Gitea => "gitea",
            Self::Forgejo => "forgejo",
            Self::Bitbucket => "bitbucket",
            Self::BitbucketDc => "bitbucket-dc",
            Self::Addon => "addon",
            Self::Local => "local",
        }
    }
}

impl FromStr for ForgeType {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ValidationError::new("type", format!("unknown forge type '{s}'")))
    }
}

/// A configured forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forge {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Kind of code host.
    pub forge_type: ForgeType,
    /// Base URL.
    pub url: String,
    /// OAuth client id.
    pub client: String,
    /// OAuth client secret; never shown.
    pub client_secret: String,
    /// Skip TLS verification.
    pub skip_verify: bool,
    /// OAuth host, when it differs from `url`.
    pub oauth_host: String,
    /// Orgs whose members may log in (empty = everyone).
    pub orgs: Vec<String>,
    /// Forge-specific options.
    pub additional_options: BTreeMap<String, serde_json::Value>,
}

impl Default for Forge {
    fn default() -> Self {
        Self {
            id: 0,
            forge_type: ForgeType::Local,
            url: String::new(),
            client: String::new(),
            client_secret: String::new(),
            skip_verify: false,
            oauth_host: String::new(),
            orgs: Vec::new(),
            additional_options: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forge_types_round_trip() {
        for t in ForgeType::ALL {
            assert_eq!(t.as_str().parse::<ForgeType>(), Ok(t));
        }
        assert_eq!(serde_json::to_string(&ForgeType::BitbucketDc).unwrap(), "\"bitbucket-dc\"");
        assert!("svn".parse::<ForgeType>().is_err());
    }
}
