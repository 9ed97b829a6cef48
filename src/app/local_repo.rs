//! `nuthatch local-repo OWNER/NAME`: creates an empty repository of the built-in local forge on
//! disk (the forge has no page for it) and prints its id, which activating it through the API
//! (`POST /api/repos?forge_remote_id=<id>`) takes.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::adapters::forge::local::LocalForge;
use crate::app::config::DatabaseConfig;

/// Arguments of `nuthatch local-repo`.
#[derive(Debug, Args)]
pub struct LocalRepoArgs {
    /// `owner/name` of the new repository (the owner is a local account's login).
    pub full_name: String,
    /// Directory of the built-in forge's git repositories (default: `repos` in the data dir).
    #[arg(long, env = "NUTHATCH_LOCAL_REPOS")]
    pub local_repos: Option<PathBuf>,
    /// Where the data directory is (the server's settings).
    #[command(flatten)]
    pub database: DatabaseConfig,
}

/// Creates the repository; prints its id on stdout and its clone URL on stderr.
///
/// # Errors
/// For a malformed name, an existing repository or a git failure.
pub async fn create(args: &LocalRepoArgs) -> anyhow::Result<()> {
    let (owner, name) =
        args.full_name.split_once('/').with_context(|| format!("'{}' is not owner/name", args.full_name))?;
    let root = args.local_repos.clone().unwrap_or_else(|| args.database.data_dir().join("repos"));
    let forge = LocalForge::open(root, "").await?;
    let repo = forge.create_repo(owner, name).await?;
    eprintln!("created {} (clone: git clone {})", repo.full_name, repo.clone_url);
    println!("{}", repo.forge_remote_id);
    Ok(())
}
