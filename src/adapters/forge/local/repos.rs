//! The repositories of the local forge on disk: `root/<owner>/<name>.git`, bare, each with a
//! stable id in its git config (`nuthatch.id`) so renames on disk never change who it is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::git::{GitOutcome, git, git_ok, text};
use crate::domain::user::validate_login;
use crate::domain::validation::ValidationError;

/// The git config key holding a repo's id.
const ID_KEY: &str = "nuthatch.id";

/// The branch a new repository starts on.
pub(super) const INITIAL_BRANCH: &str = "main";

/// One repository on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RepoDir {
    /// Its `forge_remote_id`.
    pub(super) id: String,
    /// Namespace.
    pub(super) owner: String,
    /// Name, without `.git`.
    pub(super) name: String,
    /// The bare repository's directory.
    pub(super) path: PathBuf,
}

/// Why a repository could not be created.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The owner or the name is not usable as a path segment.
    #[error(transparent)]
    InvalidName(#[from] ValidationError),
    /// A repository with this owner and name exists.
    #[error("repository '{0}' already exists")]
    Exists(String),
    /// git or the file system failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Checks an owner or repo name: a valid login that is not hidden (`.x`, `..`) on disk.
pub(super) fn validate_name(field: &'static str, name: &str) -> Result<(), ValidationError> {
    validate_login(name).map_err(|e| ValidationError::new(field, e.message))?;
    if name.starts_with('.') || name.ends_with(".git") {
        return Err(ValidationError::new(field, "must not start with '.' or end with '.git'"));
    }
    Ok(())
}

/// Creates `root/<owner>/<name>.git` with a fresh id; the caller serialises creations.
pub(super) async fn create(root: &Path, owner: &str, name: &str, id: String) -> Result<RepoDir, RepoError> {
    validate_name("owner", owner)?;
    validate_name("name", name)?;
    if find_by_name(root, owner, name).await?.is_some() {
        return Err(RepoError::Exists(format!("{owner}/{name}")));
    }
    let path = root.join(owner).join(format!("{name}.git"));
    let path_arg = path.to_str().with_context(|| format!("{} is not UTF-8", path.display()))?;
    git_ok(None, &["init", "--quiet", "--bare", "--initial-branch", INITIAL_BRANCH, path_arg]).await?;
    git_ok(Some(&path), &["config", ID_KEY, &id]).await?;
    Ok(RepoDir { id, owner: owner.to_owned(), name: name.to_owned(), path })
}

/// Every repository, sorted by owner and name. Directories without an id are not ours.
pub(super) async fn list(root: &Path) -> anyhow::Result<Vec<RepoDir>> {
    let mut repos = Vec::new();
    for owner in subdirs(root).await? {
        for entry in subdirs(&root.join(&owner)).await? {
            let Some(name) = entry.strip_suffix(".git") else { continue };
            if let Some(repo) = open(root, &owner, name).await? {
                repos.push(repo);
            }
        }
    }
    repos.sort_by(|a, b| (&a.owner, &a.name).cmp(&(&b.owner, &b.name)));
    Ok(repos)
}

/// Where each repository was last found by its id. Finding one by id means asking git for the
/// id of every repository on disk; webhooks and pipelines look their repository up several
/// times each, so the answer is kept and checked with one file read instead.
#[derive(Debug, Default)]
pub(super) struct KnownDirs(std::sync::Mutex<HashMap<String, RepoDir>>);

impl KnownDirs {
    /// The repository with this id under `root`: where it was last seen if it is still there,
    /// else found again by a scan.
    pub(super) async fn find_by_id(&self, root: &Path, id: &str) -> anyhow::Result<Option<RepoDir>> {
        let known = self.dirs().get(id).cloned();
        if let Some(dir) = known
            && still_holds(&dir).await
        {
            return Ok(Some(dir));
        }
        let found = list(root).await?.into_iter().find(|r| r.id == id);
        match &found {
            Some(dir) => self.dirs().insert(id.to_owned(), dir.clone()),
            None => self.dirs().remove(id),
        };
        Ok(found)
    }

    fn dirs(&self) -> std::sync::MutexGuard<'_, HashMap<String, RepoDir>> {
        // The map holds no invariant a panicking holder could break.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `dir` still holds its repository (not renamed, moved or replaced on disk): its git
/// config still names the id, a random UUID that no other repository's config contains.
async fn still_holds(dir: &RepoDir) -> bool {
    tokio::fs::read_to_string(dir.path.join("config")).await.is_ok_and(|config| config.contains(&dir.id))
}

/// The repository with this owner and name.
pub(super) async fn find_by_name(root: &Path, owner: &str, name: &str) -> anyhow::Result<Option<RepoDir>> {
    if validate_name("owner", owner).is_err() || validate_name("name", name).is_err() {
        return Ok(None);
    }
    open(root, owner, name).await
}

/// The namespaces (owner directories) that exist.
pub(super) async fn namespaces(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = subdirs(root).await?;
    names.sort();
    Ok(names)
}

/// The branch `HEAD` points at.
pub(super) async fn default_branch(repo: &RepoDir) -> anyhow::Result<String> {
    let head = text(git_ok(Some(&repo.path), &["symbolic-ref", "HEAD"]).await?);
    Ok(head.strip_prefix("refs/heads/").unwrap_or(&head).to_owned())
}

async fn open(root: &Path, owner: &str, name: &str) -> anyhow::Result<Option<RepoDir>> {
    let path = root.join(owner).join(format!("{name}.git"));
    if !tokio::fs::try_exists(path.join("config")).await.unwrap_or(false) {
        return Ok(None);
    }
    Ok(match git(Some(&path), &["config", "--get", ID_KEY]).await? {
        GitOutcome::Success(out) => {
            Some(RepoDir { id: text(out), owner: owner.to_owned(), name: name.to_owned(), path })
        }
        GitOutcome::Failure(_) => None,
    })
}

/// Names of the visible subdirectories (hidden ones hold temporary files).
async fn subdirs(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut entries =
        tokio::fs::read_dir(dir).await.with_context(|| format!("cannot list {}", dir.display()))?;
    let mut names = Vec::new();
    while let Some(entry) =
        entries.next_entry().await.with_context(|| format!("cannot list {}", dir.display()))?
    {
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !name.starts_with('.') && entry.file_type().await.is_ok_and(|t| t.is_dir()) {
            names.push(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::forge::local::TestDir;

    #[tokio::test]
    async fn a_known_repository_is_found_again_after_a_rename_and_forgotten_once_gone() {
        let root = TestDir::new("known-dirs");
        let known = KnownDirs::default();
        let id = "5d6c1f0e-6b7a-4c1e-9a57-0d1f2e3a4b5c";
        create(&root.0, "team", "app", id.to_owned()).await.unwrap();
        create(&root.0, "team", "other", "another-id".to_owned()).await.unwrap();
        let first = known.find_by_id(&root.0, id).await.unwrap().expect("found by a scan");
        assert_eq!((first.owner.as_str(), first.name.as_str()), ("team", "app"));
        assert_eq!(known.find_by_id(&root.0, id).await.unwrap(), Some(first.clone()), "where it was");

        std::fs::rename(&first.path, root.0.join("team").join("renamed.git")).unwrap();
        let moved = known.find_by_id(&root.0, id).await.unwrap().expect("found again");
        assert_eq!(moved.name, "renamed");

        std::fs::remove_dir_all(&moved.path).unwrap();
        assert_eq!(known.find_by_id(&root.0, id).await.unwrap(), None);
    }

    #[test]
    fn names_must_be_plain_path_segments() {
        assert!(validate_name("name", "app-1.2_x").is_ok());
        for bad in ["..", ".hidden", "a/b", "", "x.git"] {
            assert!(validate_name("name", bad).is_err(), "{bad}");
        }
    }
}
