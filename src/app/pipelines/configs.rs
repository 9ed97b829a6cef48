//! The config files a pipeline is built from: fetched from the forge at the pipeline's commit
//! (upstream's forge config fetcher) and stored with the pipeline, so approvals and restarts run
//! exactly these files.

use ring::digest;

use crate::app::pipelines::{LifecycleError, Pipelines};
use crate::domain::config::Config;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::domain::yaml::ConfigFile;
use crate::ports::forge::{ForgeError, ForgeFile};

/// The default config directory, tried before the single files.
const DEFAULT_DIR: &str = ".woodpecker";
/// The single default config files, in the order they are tried.
const DEFAULT_FILES: [&str; 2] = [".woodpecker.yaml", ".woodpecker.yml"];

/// What the forge had for a pipeline.
pub(super) enum Fetched {
    /// These files, sorted by name.
    Files(Vec<Config>),
    /// No config at the default locations: nothing to build (the pipeline is filtered).
    NotFound,
}

impl Pipelines {
    /// The repo's config files at `commit`: the repo's config path (a file, or a directory when it
    /// ends with `/` or is not a file), else `.woodpecker/*.y[a]ml`, else `.woodpecker.yaml`, else
    /// `.woodpecker.yml`.
    ///
    /// # Errors
    /// A configured path that holds nothing, or a forge failure other than "not found"; the
    /// pipeline then ends in `error` with the message.
    pub(super) async fn fetch_configs(
        &self,
        owner: &User,
        repo: &Repo,
        commit: &str,
    ) -> Result<Fetched, ForgeError> {
        let custom = repo.config_file.trim();
        if !custom.is_empty() {
            if !custom.ends_with('/')
                && let Some(data) = self.forge_file(owner, repo, commit, custom).await?
            {
                return Ok(Fetched::Files(vec![config(repo, custom, data)]));
            }
            let files = self.forge_dir(owner, repo, commit, custom.trim_end_matches('/')).await?;
            if files.is_empty() {
                return Err(ForgeError::NotFound(format!("config '{custom}'")));
            }
            return Ok(Fetched::Files(files));
        }
        let files = self.forge_dir(owner, repo, commit, DEFAULT_DIR).await?;
        if !files.is_empty() {
            return Ok(Fetched::Files(files));
        }
        for name in DEFAULT_FILES {
            if let Some(data) = self.forge_file(owner, repo, commit, name).await? {
                return Ok(Fetched::Files(vec![config(repo, name, data)]));
            }
        }
        Ok(Fetched::NotFound)
    }

    /// A non-empty file, `None` when missing or empty.
    async fn forge_file(
        &self,
        owner: &User,
        repo: &Repo,
        commit: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, ForgeError> {
        match self.forge.file(owner, repo, commit, path).await {
            Ok(data) if !data.is_empty() => Ok(Some(data)),
            Ok(_) | Err(ForgeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The YAML files of a directory, sorted by name; empty when the directory is missing.
    async fn forge_dir(
        &self,
        owner: &User,
        repo: &Repo,
        commit: &str,
        path: &str,
    ) -> Result<Vec<Config>, ForgeError> {
        let files = match self.forge.dir(owner, repo, commit, path).await {
            Ok(files) => files,
            Err(ForgeError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut configs: Vec<Config> = files
            .into_iter()
            .filter(|f| is_yaml(f) && !f.data.is_empty())
            .map(|f| config(repo, &f.name, f.data))
            .collect();
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(configs)
    }

    /// Stores the configs (once per repo) and links them to the pipeline.
    pub(super) async fn link_configs(
        &self,
        pipeline_id: i64,
        configs: &[Config],
    ) -> Result<Vec<Config>, LifecycleError> {
        Ok(self.engine.store.link_configs(pipeline_id, configs).await?)
    }
}

fn is_yaml(file: &ForgeFile) -> bool {
    file.name.ends_with(".yaml") || file.name.ends_with(".yml")
}

/// A config file of `repo`, identified by the sha256 of its content.
pub(super) fn config(repo: &Repo, name: &str, data: Vec<u8>) -> Config {
    let hash = digest::digest(&digest::SHA256, &data).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Config { id: 0, repo_id: repo.id, hash, name: name.to_owned(), data }
}

/// The files as the compiler takes them.
pub(super) fn config_files(configs: &[Config]) -> Vec<ConfigFile> {
    configs.iter().map(|c| ConfigFile { name: c.name.clone(), data: c.data.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_identified_by_the_sha256_of_their_content() {
        let c = config(&Repo { id: 4, ..Repo::default() }, ".woodpecker.yaml", b"abc".to_vec());
        assert_eq!(c.hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!((c.repo_id, c.name.as_str()), (4, ".woodpecker.yaml"));
    }
}
