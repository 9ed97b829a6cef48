//! Repository permissions: what a user may do in one repo, as last synced from the forge, and
//! how a request's effective permission and its refusal status are decided.

use crate::domain::repo::{Repo, Visibility};
use crate::domain::user::User;

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

/// The permission a caller effectively has on a repo: the stored (forge-synced) row, raised to
/// everything for server admins, and to pull for everyone on public repos and for logged-in
/// users on internal ones.
pub fn effective(caller: Option<&User>, repo: &Repo, stored: Option<Perm>) -> Perm {
    let mut perm =
        stored.unwrap_or(Perm { repo_id: repo.id, user_id: caller.map_or(0, |u| u.id), ..Perm::default() });
    if caller.is_some_and(|u| u.admin) {
        perm.pull = true;
        perm.push = true;
        perm.admin = true;
    }
    match repo.visibility {
        Visibility::Public => perm.pull = true,
        Visibility::Internal if caller.is_some() => perm.pull = true,
        _ => {}
    }
    perm
}

/// How a request that lacks a repo permission is refused, as upstream answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// 401: nobody is logged in.
    Unauthorized,
    /// 403: logged in, not allowed, and the repo's existence is no secret to them.
    Forbidden,
    /// 404: logged in without read or write access; the repo's existence stays hidden.
    NotFound,
}

/// Decides whether a caller with `perm` may do what needs `access`: anonymous callers get 401,
/// logged-in callers lacking pull or push get 404 (hiding private repos), lacking admin 403.
pub fn check(logged_in: bool, perm: &Perm, access: Access) -> Result<(), Denial> {
    if perm.allows(access) {
        return Ok(());
    }
    if !logged_in {
        return Err(Denial::Unauthorized);
    }
    match access {
        Access::Pull | Access::Push => Err(Denial::NotFound),
        Access::Admin => Err(Denial::Forbidden),
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

    fn repo(visibility: Visibility) -> Repo {
        Repo { id: 1, visibility, ..Repo::default() }
    }

    fn user(admin: bool) -> User {
        User { id: 9, admin, ..User::default() }
    }

    const PULL: Perm = Perm {
        user_id: 9,
        repo_id: 1,
        pull: true,
        push: false,
        admin: false,
        synced: 0,
        created: 0,
        updated: 0,
    };
    const PUSH: Perm = Perm { push: true, ..PULL };
    const ADMIN: Perm = Perm { admin: true, ..PUSH };

    /// Who asks: anonymous, a user with no row, with pull/push/admin rows, a server admin.
    fn callers() -> Vec<(&'static str, Option<User>, Option<Perm>)> {
        vec![
            ("anonymous", None, None),
            ("user", Some(user(false)), None),
            ("pull", Some(user(false)), Some(PULL)),
            ("push", Some(user(false)), Some(PUSH)),
            ("repo admin", Some(user(false)), Some(ADMIN)),
            ("server admin", Some(user(true)), None),
        ]
    }

    /// Expected outcome per caller (in `callers` order) for a private repo.
    fn expect_private(access: Access) -> [Result<(), Denial>; 6] {
        use Denial::*;
        match access {
            Access::Pull => [Err(Unauthorized), Err(NotFound), Ok(()), Ok(()), Ok(()), Ok(())],
            Access::Push => [Err(Unauthorized), Err(NotFound), Err(NotFound), Ok(()), Ok(()), Ok(())],
            Access::Admin => {
                [Err(Unauthorized), Err(Forbidden), Err(Forbidden), Err(Forbidden), Ok(()), Ok(())]
            }
        }
    }

    #[test]
    fn private_repo_access_table() {
        let private = repo(Visibility::Private);
        for access in [Access::Pull, Access::Push, Access::Admin] {
            for ((who, caller, stored), want) in callers().into_iter().zip(expect_private(access)) {
                let perm = effective(caller.as_ref(), &private, stored);
                assert_eq!(check(caller.is_some(), &perm, access), want, "{who} needs {access:?}");
            }
        }
    }

    #[test]
    fn public_repos_are_readable_by_everyone_but_writable_only_with_push() {
        let public = repo(Visibility::Public);
        let anon = effective(None, &public, None);
        assert_eq!(check(false, &anon, Access::Pull), Ok(()));
        assert_eq!(check(false, &anon, Access::Push), Err(Denial::Unauthorized));
        let someone = effective(Some(&user(false)), &public, None);
        assert_eq!(check(true, &someone, Access::Push), Err(Denial::NotFound));
    }

    #[test]
    fn internal_repos_are_readable_by_logged_in_users_only() {
        let internal = repo(Visibility::Internal);
        assert_eq!(check(false, &effective(None, &internal, None), Access::Pull), Err(Denial::Unauthorized));
        assert_eq!(check(true, &effective(Some(&user(false)), &internal, None), Access::Pull), Ok(()));
    }
}
