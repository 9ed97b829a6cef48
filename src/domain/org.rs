//! Organizations: the namespaces repos live in (a user's own namespace is an org too).

/// An org (or a user's own namespace).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Org {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The forge the org lives on.
    pub forge_id: i64,
    /// Name, unique per forge (case-insensitively).
    pub name: String,
    /// Whether the org stands for a single user's namespace.
    pub is_user: bool,
    /// Forge-side privacy.
    pub private: bool,
}

/// What a user may do in an org, as the forge reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrgPerm {
    /// The user is a member.
    pub member: bool,
    /// The user administers the org.
    pub admin: bool,
}
