//! Repository permissions: what a user may do in one repo, as last synced from the forge.

/// A user's permission on one repo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perm {
    /// The user.
    pub user_id: i64,
    /// The repo.
    pub repo_id: i64,
    /// May read the repo.
    pub pull: bool,
    /// May write to the repo.
    pub push: bool,
    /// Administers the repo.
    pub admin: bool,
    /// Unix time of the last sync with the forge.
    pub synced: i64,
    /// Unix time of creation.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
}

/// The access levels a request can need on a repo, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Read: see the repo, its pipelines and logs.
    Pull,
    /// Write: trigger, cancel, approve, manage secrets' use.
    Push,
    /// Administer: settings, secrets, deletion.
    Admin,
}

impl Perm {
    /// Whether this permission grants `access`; each level implies the ones below it.
    pub fn allows(&self, access: Access) -> bool {
        match access {
            Access::Pull => self.pull || self.push || self.admin,
            Access::Push => self.push || self.admin,
            Access::Admin => self.admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_levels_imply_lower_ones() {
        let admin = Perm { admin: true, ..Perm::default() };
        assert!(admin.allows(Access::Pull) && admin.allows(Access::Push) && admin.allows(Access::Admin));
        let push = Perm { push: true, ..Perm::default() };
        assert!(push.allows(Access::Pull) && push.allows(Access::Push) && !push.allows(Access::Admin));
    }

    #[test]
    fn no_permission_allows_nothing() {
        let none = Perm::default();
        assert!(!none.allows(Access::Pull));
    }
}
