//! The forge port: everything Nuthatch asks of a code host (GitHub, Gitea, GitLab, ... or the
//! built-in local forge): who a user is, which repos they may see, the files a pipeline is built
//! from, webhooks in and commit statuses out.
//!
//! The method set follows upstream Woodpecker's forge interface so the API handlers can keep
//! upstream's behaviour; the types are Nuthatch's domain types plus the few small ones below.
//!
//! Implementations must be safe to share between tasks (`Send + Sync + 'static`): the server holds
//! each forge behind an `Arc` and calls it from every request concurrently.

use crate::domain::org::{Org, OrgPerm};
use crate::domain::perm::Perm;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::domain::workflow::Workflow;

/// What can go wrong talking to a forge.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// The thing asked for (repo, file, branch, account, ...) does not exist at the forge.
    #[error("{0} not found")]
    NotFound(String),
    /// Credentials are wrong, expired or revoked; the user has to log in again.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// This forge does not implement the operation (e.g. pull requests on the local forge).
    #[error("not supported by this forge: {0}")]
    NotSupported(&'static str),
    /// A webhook request that this forge cannot read.
    #[error("invalid hook: {0}")]
    InvalidHook(String),
    /// The forge cannot be reached or answered with a server error; worth retrying later.
    #[error("forge unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or an unexpected answer; logged with its cause chain.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// How a user proves who they are to the forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    /// Login name and password, checked by the forge itself (the local forge).
    Password {
        /// Login name.
        login: String,
        /// Password in clear text, as typed.
        password: String,
    },
    /// The `code` an OAuth forge sent back to the callback after [`Forge::authorize_url`].
    OAuthCode {
        /// Authorization code to exchange for tokens.
        code: String,
    },
}

/// A team or org the user belongs to at the forge (used by the login org gate).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Team {
    /// Team or org login.
    pub login: String,
    /// Avatar image URL.
    pub avatar_url: String,
}

/// A repo as the forge lists it for one user, with that user's permission on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForgeRepo {
    /// The repo's forge-side facts (no store ids, no Nuthatch settings).
    pub repo: Repo,
    /// The user's permission; `user_id` and `repo_id` are left for the caller to fill in.
    pub perm: Perm,
}

/// A file read from a repo at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeFile {
    /// Path from the repo root.
    pub name: String,
    /// Content, byte for byte.
    pub data: Vec<u8>,
}

/// Credentials an agent writes to `.netrc` to clone a repo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Netrc {
    /// Host the credentials are for.
    pub machine: String,
    /// User name (empty: clone anonymously).
    pub login: String,
    /// Password or token.
    pub password: String,
}

/// An open pull (merge) request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullRequest {
    /// Number or id at the forge.
    pub index: String,
    /// Title.
    pub title: String,
}

/// Which page of a listing to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOptions {
    /// Fetch everything, ignoring `page` and `per_page`.
    pub all: bool,
    /// Page number, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl ListOptions {
    /// Every item.
    pub const ALL: ListOptions = ListOptions { all: true, page: 1, per_page: 0 };

    /// The items of this page, for forges that list everything at once.
    pub fn page_of<T>(&self, items: Vec<T>) -> Vec<T> {
        if self.all {
            return items;
        }
        let per_page = self.per_page as usize;
        let skip = (self.page.max(1) as usize - 1).saturating_mul(per_page);
        items.into_iter().skip(skip).take(per_page).collect()
    }
}

/// A webhook request as it arrived over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HookRequest {
    /// HTTP method (`POST`).
    pub method: String,
    /// Header names and values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl HookRequest {
    /// The first value of a header, matching its name case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What a webhook asks for: the repo it is about and the pipeline to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedHook {
    /// The repo as the forge describes it: `forge_remote_id`, `owner`, `name`, `full_name`,
    /// URLs and default branch; no store ids and no Nuthatch settings.
    pub repo: Repo,
    /// The pipeline draft: event, commit, branch, ref, refspec, message, author, changed files,
    /// ...; no ids, number or status yet.
    pub pipeline: Pipeline,
}

/// The result of reading a webhook.
#[derive(Debug, Clone, PartialEq)]
pub enum HookOutcome {
    /// Create this pipeline.
    Pipeline(Box<ParsedHook>),
    /// A well-formed hook that asks for nothing (branch deletion, an event Nuthatch does not
    /// build); the reason is answered to the sender (upstream answers 200).
    Ignored(String),
}

/// A code host.
///
/// Every method that acts for a user takes that user, whose forge credentials it uses.
#[async_trait::async_trait]
pub trait Forge: Send + Sync + 'static {
    /// The driver's name (`github`, `gitea`, `local`, ...).
    fn name(&self) -> &str;

    /// The forge's base URL.
    fn url(&self) -> &str;

    /// Where to send the browser to start an OAuth login; `state` comes back with the code.
    ///
    /// # Errors
    /// [`ForgeError::NotSupported`] on forges that log in with a password.
    async fn authorize_url(&self, state: &str) -> Result<String, ForgeError>;

    /// Logs a user in and returns their forge identity: `forge_remote_id`, `login`, `email`,
    /// `avatar_url`, tokens and expiry (no store ids).
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] for wrong credentials or a rejected code;
    /// [`ForgeError::NotSupported`] for a kind of request this forge does not take.
    async fn login(&self, request: LoginRequest) -> Result<User, ForgeError>;

    /// Re-validates a user's credentials and returns their current login.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the forge no longer accepts them.
    async fn auth(&self, user: &User) -> Result<String, ForgeError>;

    /// Refreshes an expiring OAuth token in place; `true` if it changed. Forges without
    /// expiring tokens keep this default.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the refresh token is rejected.
    async fn refresh(&self, _user: &mut User) -> Result<bool, ForgeError> {
        Ok(false)
    }

    /// The teams and orgs the user belongs to.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the user's credentials are rejected.
    async fn teams(&self, user: &User) -> Result<Vec<Team>, ForgeError>;

    /// One repo as the user sees it: by `forge_remote_id` when not empty, else by `owner`/`name`.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when there is no such repo or the user may not see it.
    async fn repo(
        &self,
        user: &User,
        forge_remote_id: &str,
        owner: &str,
        name: &str,
    ) -> Result<ForgeRepo, ForgeError>;

    /// Every repo the user may see.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the user's credentials are rejected.
    async fn repos(&self, user: &User) -> Result<Vec<ForgeRepo>, ForgeError>;

    /// The user's permission on a repo.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the repo is gone.
    async fn perm(&self, user: &User, repo: &Repo) -> Result<Perm, ForgeError> {
        Ok(self.repo(user, &repo.forge_remote_id, &repo.owner, &repo.name).await?.perm)
    }

    /// A file's content at a commit.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the commit or the file does not exist.
    async fn file(&self, user: &User, repo: &Repo, commit: &str, path: &str) -> Result<Vec<u8>, ForgeError>;

    /// The files (not subdirectories) directly in a directory at a commit, with their content.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the commit or the directory does not exist.
    async fn dir(
        &self,
        user: &User,
        repo: &Repo,
        commit: &str,
        path: &str,
    ) -> Result<Vec<ForgeFile>, ForgeError>;

    /// Reports a workflow's state as a commit status.
    ///
    /// # Errors
    /// [`ForgeError::Unavailable`] when the forge cannot be reached; callers log and go on.
    async fn status(
        &self,
        user: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        workflow: &Workflow,
    ) -> Result<(), ForgeError>;

    /// Clone credentials for a repo.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the user has no usable token.
    async fn netrc(&self, user: &User, repo: &Repo) -> Result<Netrc, ForgeError>;

    /// Installs the webhook that posts to `link` (the server's hook URL with its token).
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the repo is gone; [`ForgeError::Unauthorized`] when the user
    /// may not administer it.
    async fn activate(&self, user: &User, repo: &Repo, link: &str) -> Result<(), ForgeError>;

    /// Removes the webhooks that post to `link`.
    ///
    /// # Errors
    /// As [`Forge::activate`]; a missing hook is not an error.
    async fn deactivate(&self, user: &User, repo: &Repo, link: &str) -> Result<(), ForgeError>;

    /// Branch names, sorted.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the repo is gone.
    async fn branches(&self, user: &User, repo: &Repo, page: ListOptions) -> Result<Vec<String>, ForgeError>;

    /// The commit SHA a branch points at.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when the repo or the branch does not exist.
    async fn branch_head(&self, user: &User, repo: &Repo, branch: &str) -> Result<String, ForgeError>;

    /// Open pull requests.
    ///
    /// # Errors
    /// [`ForgeError::NotSupported`] on forges without pull requests.
    async fn pull_requests(
        &self,
        user: &User,
        repo: &Repo,
        page: ListOptions,
    ) -> Result<Vec<PullRequest>, ForgeError>;

    /// Reads a webhook request.
    ///
    /// # Errors
    /// [`ForgeError::InvalidHook`] when the request is malformed (never a panic);
    /// [`ForgeError::NotFound`] when it names a repo the forge does not have.
    async fn hook(&self, request: &HookRequest) -> Result<HookOutcome, ForgeError>;

    /// Whether the user is a member (and an admin) of an org.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] when the user's credentials are rejected.
    async fn org_membership(&self, user: &User, org: &str) -> Result<OrgPerm, ForgeError>;

    /// An org (or a user's namespace) by name.
    ///
    /// # Errors
    /// [`ForgeError::NotFound`] when there is no such org or user.
    async fn org(&self, user: &User, name: &str) -> Result<Org, ForgeError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_the_listing() {
        let page2 = ListOptions { all: false, page: 2, per_page: 2 };
        assert_eq!(page2.page_of(vec![1, 2, 3, 4, 5]), [3, 4]);
        assert_eq!(ListOptions::ALL.page_of(vec![1, 2, 3]), [1, 2, 3]);
        let past_the_end = ListOptions { all: false, page: 9, per_page: 2 };
        assert!(past_the_end.page_of(vec![1, 2]).is_empty());
    }

    #[test]
    fn headers_match_case_insensitively() {
        let req = HookRequest {
            method: "POST".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Vec::new(),
        };
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("x-missing"), None);
    }
}
