//! The [`Forge`] port on the local forge.
//!
//! What a code host would do over its API is done here with the accounts file and git: there
//! are no OAuth tokens, no teams beyond namespaces, no pull requests and nowhere to report
//! commit statuses to.

use crate::domain::org::{Org, OrgPerm};
use crate::domain::perm::Perm;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::domain::workflow::Workflow;
use crate::ports::forge::{
    Forge, ForgeError, ForgeFile, ForgeRepo, HookOutcome, HookRequest, ListOptions, LoginRequest, Netrc,
    PullRequest, Team,
};

use super::LocalForge;
use super::git::{GitOutcome, git, git_ok, is_full_sha, text};
use super::{hooks, repos};

/// The driver name.
const NAME: &str = "local";

#[async_trait::async_trait]
impl Forge for LocalForge {
    fn name(&self) -> &str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    async fn authorize_url(&self, _state: &str) -> Result<String, ForgeError> {
        Err(ForgeError::NotSupported("OAuth login (the local forge logs in with a password)"))
    }

    async fn login(&self, request: LoginRequest) -> Result<User, ForgeError> {
        let LoginRequest::Password { login, password } = request else {
            return Err(ForgeError::NotSupported("OAuth login (the local forge logs in with a password)"));
        };
        let account = self.verify_login(&login, &password).await?;
        Ok(User {
            forge_remote_id: account.id.to_string(),
            login: account.login,
            email: account.email,
            admin: account.admin,
            ..User::default()
        })
    }

    async fn auth(&self, user: &User) -> Result<String, ForgeError> {
        Ok(self.account(user).await?.login)
    }

    /// Every namespace, since every account may push everywhere.
    async fn teams(&self, user: &User) -> Result<Vec<Team>, ForgeError> {
        self.account(user).await?;
        let namespaces = repos::namespaces(&self.root).await?;
        Ok(namespaces.into_iter().map(|login| Team { login, avatar_url: String::new() }).collect())
    }

    async fn repo(
        &self,
        user: &User,
        forge_remote_id: &str,
        owner: &str,
        name: &str,
    ) -> Result<ForgeRepo, ForgeError> {
        let account = self.account(user).await?;
        let found = if forge_remote_id.is_empty() {
            repos::find_by_name(&self.root, owner, name).await?
        } else {
            self.dirs.find_by_id(&self.root, forge_remote_id).await?
        };
        let dir = found.ok_or_else(|| ForgeError::NotFound(format!("repository '{owner}/{name}'")))?;
        Ok(ForgeRepo { repo: self.load_repo(&dir).await?, perm: Self::perm_in(&account, &dir.owner) })
    }

    async fn repos(&self, user: &User) -> Result<Vec<ForgeRepo>, ForgeError> {
        let account = self.account(user).await?;
        let mut listed = Vec::new();
        for dir in repos::list(&self.root).await? {
            listed.push(ForgeRepo {
                repo: self.load_repo(&dir).await?,
                perm: Self::perm_in(&account, &dir.owner),
            });
        }
        Ok(listed)
    }

    async fn perm(&self, user: &User, repo: &Repo) -> Result<Perm, ForgeError> {
        let account = self.account(user).await?;
        let dir = self.repo_dir(repo).await?;
        Ok(Self::perm_in(&account, &dir.owner))
    }

    async fn file(&self, _user: &User, repo: &Repo, commit: &str, path: &str) -> Result<Vec<u8>, ForgeError> {
        let dir = self.repo_dir(repo).await?;
        let object = format!("{}:{}", checked_commit(commit)?, path.trim_start_matches('/'));
        match git(Some(&dir.path), &["cat-file", "blob", &object]).await? {
            GitOutcome::Success(data) => Ok(data),
            GitOutcome::Failure(_) => Err(ForgeError::NotFound(format!("file '{path}' at {commit}"))),
        }
    }

    async fn dir(
        &self,
        _user: &User,
        repo: &Repo,
        commit: &str,
        path: &str,
    ) -> Result<Vec<ForgeFile>, ForgeError> {
        let dir = self.repo_dir(repo).await?;
        let commit = checked_commit(commit)?;
        let path = path.trim_matches('/');
        // With a trailing slash ls-tree lists the directory's entries under their full paths.
        let listing = if path.is_empty() || path == "." {
            git(Some(&dir.path), &["ls-tree", "-z", commit]).await?
        } else {
            git(Some(&dir.path), &["ls-tree", "-z", commit, "--", &format!("{path}/")]).await?
        };
        let not_found = || ForgeError::NotFound(format!("directory '{path}' at {commit}"));
        let GitOutcome::Success(listing) = listing else { return Err(not_found()) };
        let entries = ls_tree_blobs(&listing);
        if listing.is_empty() {
            return Err(not_found());
        }
        let mut files = Vec::with_capacity(entries.len());
        for (object, name) in entries {
            let data = git_ok(Some(&dir.path), &["cat-file", "blob", &object]).await?;
            files.push(ForgeFile { name, data });
        }
        Ok(files)
    }

    /// Nothing to report to: local repositories have no commit status page.
    async fn status(
        &self,
        _user: &User,
        _repo: &Repo,
        _pipeline: &Pipeline,
        _workflow: &Workflow,
    ) -> Result<(), ForgeError> {
        Ok(())
    }

    /// An empty netrc: agents clone local repositories over the file system, without
    /// credentials; `machine` is the forge URL's host, for agents that expect one.
    async fn netrc(&self, _user: &User, _repo: &Repo) -> Result<Netrc, ForgeError> {
        let machine =
            url::Url::parse(&self.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        Ok(Netrc { machine, ..Netrc::default() })
    }

    async fn activate(&self, user: &User, repo: &Repo, link: &str) -> Result<(), ForgeError> {
        let dir = self.administered_dir(user, repo).await?;
        let script = hooks::script(&self.hook_executable, link, &dir.id)?;
        Ok(hooks::install(&dir, &script).await?)
    }

    /// Removes the hook whatever `link` it posts to: a repository has only one.
    async fn deactivate(&self, user: &User, repo: &Repo, _link: &str) -> Result<(), ForgeError> {
        let dir = self.administered_dir(user, repo).await?;
        Ok(hooks::remove(&dir).await?)
    }

    async fn branches(
        &self,
        _user: &User,
        repo: &Repo,
        page: ListOptions,
    ) -> Result<Vec<String>, ForgeError> {
        let dir = self.repo_dir(repo).await?;
        let refs = text(
            git_ok(
                Some(&dir.path),
                &["for-each-ref", "--format=%(refname)", "--sort=refname", "refs/heads/"],
            )
            .await?,
        );
        let names = refs.lines().filter_map(|r| r.strip_prefix("refs/heads/")).map(str::to_owned).collect();
        Ok(page.page_of(names))
    }

    async fn branch_head(&self, _user: &User, repo: &Repo, branch: &str) -> Result<String, ForgeError> {
        let dir = self.repo_dir(repo).await?;
        // The refs/heads/ prefix keeps a branch name from being read as an option or a SHA.
        let rev = format!("refs/heads/{branch}^{{commit}}");
        match git(Some(&dir.path), &["rev-parse", "--verify", "--quiet", &rev]).await? {
            GitOutcome::Success(sha) => Ok(text(sha)),
            GitOutcome::Failure(_) => {
                Err(ForgeError::NotFound(format!("branch '{branch}' of {}", repo.full_name)))
            }
        }
    }

    async fn pull_requests(
        &self,
        _user: &User,
        _repo: &Repo,
        _page: ListOptions,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        Err(ForgeError::NotSupported("pull requests"))
    }

    async fn hook(&self, request: &HookRequest) -> Result<HookOutcome, ForgeError> {
        self.parse_hook(request).await
    }

    async fn org_membership(&self, user: &User, org: &str) -> Result<OrgPerm, ForgeError> {
        let account = self.account(user).await?;
        Ok(OrgPerm { member: true, admin: Self::perm_in(&account, org).admin })
    }

    /// A namespace: a user's own when an account has its name, else an org.
    async fn org(&self, _user: &User, name: &str) -> Result<Org, ForgeError> {
        let is_user = self.accounts.get(name).await?.is_some();
        if !is_user && !repos::namespaces(&self.root).await?.iter().any(|n| n == name) {
            return Err(ForgeError::NotFound(format!("org '{name}'")));
        }
        Ok(Org { name: name.to_owned(), is_user, ..Org::default() })
    }
}

impl LocalForge {
    /// The repository, if the user may administer it.
    async fn administered_dir(&self, user: &User, repo: &Repo) -> Result<repos::RepoDir, ForgeError> {
        let account = self.account(user).await?;
        let dir = self.repo_dir(repo).await?;
        if !Self::perm_in(&account, &dir.owner).admin {
            return Err(ForgeError::Unauthorized(format!(
                "{} may not administer {}",
                account.login, repo.full_name
            )));
        }
        Ok(dir)
    }
}

/// A commit given to file and directory reads must be a full SHA: anything else could be an
/// option or a path to git.
fn checked_commit(commit: &str) -> Result<&str, ForgeError> {
    if is_full_sha(commit) { Ok(commit) } else { Err(ForgeError::NotFound(format!("commit '{commit}'"))) }
}

/// The blobs of `git ls-tree -z` output as (object name, path); subtrees and submodules are left out.
fn ls_tree_blobs(listing: &[u8]) -> Vec<(String, String)> {
    listing
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (meta, path) = entry.split_once('\t')?;
            let mut meta = meta.split(' ');
            let (_mode, kind, object) = (meta.next()?, meta.next()?, meta.next()?);
            (kind == "blob").then(|| (object.to_owned(), path.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_tree_output_yields_only_blobs() {
        let listing = [
            "100644 blob aaa\t.woodpecker/a.yaml",
            "040000 tree bbb\t.woodpecker/sub",
            "160000 commit ccc\t.woodpecker/mod",
            "100755 blob ddd\t.woodpecker/b c.yaml",
        ]
        .map(|entry| format!("{entry}\0"))
        .concat();
        assert_eq!(
            ls_tree_blobs(listing.as_bytes()),
            [("aaa".into(), ".woodpecker/a.yaml".into()), ("ddd".into(), ".woodpecker/b c.yaml".into())]
        );
    }

    #[test]
    fn commits_must_be_full_shas() {
        assert!(checked_commit(&"a".repeat(40)).is_ok());
        assert!(matches!(checked_commit("--output=x"), Err(ForgeError::NotFound(_))));
        assert!(matches!(checked_commit("main"), Err(ForgeError::NotFound(_))));
    }
}
