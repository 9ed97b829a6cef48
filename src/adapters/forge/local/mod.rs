//! The local forge: Nuthatch's built-in code host, for running CI without GitHub or Gitea.
//! Repositories are bare git repositories under one directory (`root/<owner>/<name>.git`),
//! pushed to and cloned over the file system; users are local accounts with argon2 passwords
//! kept in `root/accounts.json`.
//!
//! Every account may pull from and push to every repository; a repository is administered by
//! its owner (the account named like its namespace) and by server admins.
//!
//! # Layout
//! - [`accounts`]: the accounts file and password hashing.
//! - `repos`: the repositories on disk and their stable ids.
//! - `git`: running the git CLI.
//! - `hooks`: installing `post-receive` hooks and reading what they post.
//! - [`hook_client`]: `nuthatch local-hook`, which those hooks run.
//! - `forge_impl`: the [`Forge`](crate::ports::forge::Forge) port on top of these.

pub mod accounts;
mod forge_impl;
mod git;
pub mod hook_client;
mod hooks;
mod repos;

use std::path::{Path, PathBuf};

use anyhow::Context;
use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

pub use accounts::{AccountError, LocalAccount};
pub use repos::RepoError;

use accounts::{ACCOUNTS_FILE, AccountBook};
use repos::RepoDir;

use crate::domain::perm::Perm;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::forge::ForgeError;

/// The built-in forge of git repositories in a directory.
pub struct LocalForge {
    root: PathBuf,
    url: String,
    hook_executable: PathBuf,
    accounts: AccountBook,
    create_lock: Mutex<()>,
    dirs: repos::KnownDirs,
}

impl LocalForge {
    /// Opens (creating if needed) the forge whose repositories and accounts live in `root`.
    /// `url` is the forge's base URL as users see it (normally the server's).
    ///
    /// Hooks will run the current executable as `nuthatch local-hook`.
    ///
    /// # Errors
    /// When `root` cannot be created or resolved, or the current executable cannot be found.
    pub async fn open(root: impl Into<PathBuf>, url: impl Into<String>) -> anyhow::Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(&root)
            .await
            .with_context(|| format!("cannot create {}", root.display()))?;
        // Clone URLs are paths, so they must not depend on the working directory.
        let root = tokio::fs::canonicalize(&root)
            .await
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        let hook_executable =
            std::env::current_exe().context("cannot find the nuthatch executable for hooks")?;
        Ok(Self {
            accounts: AccountBook::new(root.join(ACCOUNTS_FILE)),
            root,
            url: url.into(),
            hook_executable,
            create_lock: Mutex::new(()),
            dirs: repos::KnownDirs::default(),
        })
    }

    /// Makes hooks run `executable local-hook --url ...` instead of the current executable
    /// (for packaging where the server binary lives elsewhere, and for tests).
    pub fn with_hook_executable(mut self, executable: impl Into<PathBuf>) -> Self {
        self.hook_executable = executable.into();
        self
    }

    /// The directory holding the repositories and `accounts.json`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates a local account.
    ///
    /// # Errors
    /// [`AccountError::InvalidLogin`], [`AccountError::Exists`] (logins are unique
    /// case-insensitively), [`AccountError::EmptyPassword`], or an I/O failure.
    pub async fn create_account(
        &self,
        login: &str,
        email: &str,
        password: &str,
        admin: bool,
    ) -> Result<LocalAccount, AccountError> {
        self.accounts.create(login, email, password, admin).await
    }

    /// Replaces an account's password.
    ///
    /// # Errors
    /// [`AccountError::NotFound`], [`AccountError::EmptyPassword`], or an I/O failure.
    pub async fn set_password(&self, login: &str, password: &str) -> Result<(), AccountError> {
        self.accounts.set_password(login, password).await
    }

    /// The account these credentials belong to.
    ///
    /// # Errors
    /// [`ForgeError::Unauthorized`] for an unknown login or a wrong password (the same error
    /// for both); [`ForgeError::Unknown`] when the accounts file cannot be read.
    pub async fn verify_login(&self, login: &str, password: &str) -> Result<LocalAccount, ForgeError> {
        self.accounts
            .verify(login, password)
            .await?
            .ok_or_else(|| ForgeError::Unauthorized("wrong login or password".into()))
    }

    /// Creates an empty repository `owner/name` on branch `main` and returns it as a [`Repo`].
    ///
    /// # Errors
    /// [`RepoError::InvalidName`], [`RepoError::Exists`], or a git or I/O failure.
    pub async fn create_repo(&self, owner: &str, name: &str) -> Result<Repo, RepoError> {
        let _guard = self.create_lock.lock().await;
        let dir = repos::create(&self.root, owner, name, random_id()?).await?;
        Ok(self.to_repo(&dir, repos::INITIAL_BRANCH.to_owned()))
    }

    /// A repository on disk as the domain sees it.
    fn to_repo(&self, dir: &RepoDir, default_branch: String) -> Repo {
        Repo {
            forge_remote_id: dir.id.clone(),
            owner: dir.owner.clone(),
            name: dir.name.clone(),
            full_name: format!("{}/{}", dir.owner, dir.name),
            // Agents clone over the file system: the path is the clone URL.
            clone_url: dir.path.to_string_lossy().into_owned(),
            default_branch,
            private: true,
            ..Repo::default()
        }
    }

    /// A repository on disk with its current default branch.
    async fn load_repo(&self, dir: &RepoDir) -> Result<Repo, ForgeError> {
        Ok(self.to_repo(dir, repos::default_branch(dir).await?))
    }

    /// The repository a domain repo stands for, by id.
    async fn repo_dir(&self, repo: &Repo) -> Result<RepoDir, ForgeError> {
        self.dirs.find_by_id(&self.root, &repo.forge_remote_id).await?.ok_or_else(|| {
            ForgeError::NotFound(format!("repository '{}' ({})", repo.full_name, repo.forge_remote_id))
        })
    }

    /// The local account behind a user.
    async fn account(&self, user: &User) -> Result<LocalAccount, ForgeError> {
        self.accounts
            .get(&user.login)
            .await?
            .ok_or_else(|| ForgeError::Unauthorized(format!("no local account '{}'", user.login)))
    }

    /// What an account may do in a namespace: everything, and administer it if it is the
    /// account's own or the account is a server admin.
    fn perm_in(account: &LocalAccount, owner: &str) -> Perm {
        let admin = account.admin || account.login.eq_ignore_ascii_case(owner);
        Perm { pull: true, push: true, admin, ..Perm::default() }
    }
}

/// A random id in UUID v4 form.
fn random_id() -> anyhow::Result<String> {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

/// Replaces `path` with `data` so that readers see the old or the new file, never a mix:
/// writes a temporary file with `mode` beside it, then renames it over.
async fn atomic_write(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    let file_name =
        path.file_name().and_then(|n| n.to_str()).context("cannot write to a path without a file name")?;
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", random_id()?));
    let write = async {
        let mut file =
            tokio::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp).await?;
        file.write_all(data).await?;
        file.sync_all().await?;
        tokio::fs::rename(&temp, path).await
    };
    if let Err(e) = write.await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// A throwaway directory for one unit test, removed when dropped.
#[cfg(test)]
struct TestDir(PathBuf);

#[cfg(test)]
impl TestDir {
    fn new(what: &str) -> Self {
        let path = std::env::temp_dir().join(format!("nuthatch-{what}-{}", random_id().unwrap()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_look_like_uuids_and_differ() {
        let (a, b) = (random_id().unwrap(), random_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn owners_and_admins_administer_a_namespace() {
        let alice = LocalAccount { id: 1, login: "alice".into(), email: String::new(), admin: false };
        assert!(LocalForge::perm_in(&alice, "alice").admin);
        let theirs = LocalForge::perm_in(&alice, "bob");
        assert!(theirs.pull && theirs.push && !theirs.admin);
        let root = LocalAccount { admin: true, ..alice };
        assert!(LocalForge::perm_in(&root, "bob").admin);
    }

    #[tokio::test]
    async fn atomic_writes_replace_the_whole_file_with_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TestDir::new("atomic");
        let path = dir.0.join("f");
        atomic_write(&path, b"first, longer", 0o600).await.unwrap();
        atomic_write(&path, b"second", 0o600).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1, "no temporary file is left");
    }
}
