//! The `Org` and `OrgPerm` wire shapes.

use poem_openapi::Object;

use crate::adapters::http::dto::is_zero;
use crate::domain::org::{Org, OrgPerm};

/// An org (or a user's own namespace) as the API shows it; forge-side privacy stays hidden.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Org")]
pub struct OrgDto {
    /// Store id.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub id: i64,
    /// The forge the org lives on.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub forge_id: i64,
    /// Name.
    pub name: String,
    /// Whether it stands for a single user's namespace.
    pub is_user: bool,
}

impl From<&Org> for OrgDto {
    fn from(o: &Org) -> Self {
        Self { id: o.id, forge_id: o.forge_id, name: o.name.clone(), is_user: o.is_user }
    }
}

/// What the caller may do in an org.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrgPerm")]
pub struct OrgPermDto {
    /// The caller is a member.
    pub member: bool,
    /// The caller administers the org.
    pub admin: bool,
}

impl From<OrgPerm> for OrgPermDto {
    fn from(p: OrgPerm) -> Self {
        Self { member: p.member, admin: p.admin }
    }
}
