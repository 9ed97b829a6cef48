//! Extensions in the pipeline lifecycle (engine.md §7.2–§7.3). The config extension sees every
//! new and restarted pipeline with its files and may replace them; its failure ends the pipeline
//! in `error`, never silently building the forge's files instead. Secret and registry extensions
//! add credentials, winning over stored ones of the same name (address); their failure is
//! logged and the stored ones are used.
//!
//! Chains: the server-wide endpoint comes first, a repo's own endpoint after it. A repo marked
//! `config_extension_exclusive` uses only its own config endpoint, and the server-wide
//! `WOODPECKER_CONFIG_EXTENSION_EXCLUSIVE` skips the forge's files.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::app::pipelines::Pipelines;
use crate::app::pipelines::configs::{Fetched, config, config_files};
use crate::domain::config::Config;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::domain::yaml::options::{Registry, Secret};
use crate::ports::extension::{ConfigAnswer, ExtensionClient, ExtensionError, ExtensionRequest};
use crate::ports::forge::Netrc;

/// An extension's URL and whether it is sent clone credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://...`.
    pub url: String,
    /// Send the netrc.
    pub netrc: bool,
}

impl Endpoint {
    /// The endpoint at `url`, `None` when it is blank.
    pub fn new(url: &str, netrc: bool) -> Option<Self> {
        let url = url.trim();
        (!url.is_empty()).then(|| Self { url: url.to_owned(), netrc })
    }
}

/// The server-wide extensions.
#[derive(Debug, Clone, Default)]
pub struct ExtensionEndpoints {
    /// Config extension (`WOODPECKER_CONFIG_EXTENSION_ENDPOINT`).
    pub config: Option<Endpoint>,
    /// Build from the config extension's files only (`WOODPECKER_CONFIG_EXTENSION_EXCLUSIVE`).
    pub config_exclusive: bool,
    /// Secret extension (`WOODPECKER_SECRET_EXTENSION_ENDPOINT`).
    pub secret: Option<Endpoint>,
    /// Registry extension (`WOODPECKER_REGISTRY_EXTENSION_ENDPOINT`).
    pub registry: Option<Endpoint>,
}

/// The extensions pipelines consult, and the client that calls them.
#[derive(Clone)]
pub struct Extensions {
    client: Arc<dyn ExtensionClient>,
    global: ExtensionEndpoints,
}

impl Extensions {
    /// The server-wide `global` endpoints, called through `client`.
    pub fn new(client: Arc<dyn ExtensionClient>, global: ExtensionEndpoints) -> Self {
        Self { client, global }
    }

    /// Whether the forge's files are fetched, and the config endpoints in order.
    fn config_chain(&self, repo: &Repo) -> (bool, Vec<Endpoint>) {
        let own = Endpoint::new(&repo.config_extension_endpoint, repo.config_extension_netrc);
        if repo.config_extension_exclusive
            && let Some(own) = own
        {
            return (false, vec![own]);
        }
        let forge = !(self.global.config_exclusive && self.global.config.is_some());
        (forge, self.global.config.iter().cloned().chain(own).collect())
    }

    /// The secret endpoints, the repo's first: earlier answers win by name.
    fn secret_chain(&self, repo: &Repo) -> Vec<Endpoint> {
        let own = Endpoint::new(&repo.secret_extension_endpoint, repo.secret_extension_netrc);
        own.into_iter().chain(self.global.secret.iter().cloned()).collect()
    }

    /// The registry endpoints, the repo's first: earlier answers win by address.
    fn registry_chain(&self, repo: &Repo) -> Vec<Endpoint> {
        let own = Endpoint::new(&repo.registry_extension_endpoint, repo.registry_extension_netrc);
        own.into_iter().chain(self.global.registry.iter().cloned()).collect()
    }
}

impl Pipelines {
    /// The files a new pipeline is built from: the forge's (unless an exclusive extension
    /// replaces them), then through every config extension. Empty: nothing to build.
    ///
    /// # Errors
    /// The message for the pipeline's `errors`: the forge or an extension failed.
    pub(super) async fn pipeline_configs(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
    ) -> Result<Vec<Config>, String> {
        let (from_forge, endpoints) = match &self.extensions {
            Some(extensions) => extensions.config_chain(repo),
            None => (true, Vec::new()),
        };
        let mut configs = Vec::new();
        if from_forge {
            match self.fetch_configs(owner, repo, &pipeline.commit).await {
                Ok(Fetched::Files(files)) => configs = files,
                Ok(Fetched::NotFound) => {}
                Err(e) => return Err(format!("could not load config: {e}")),
            }
        }
        self.run_config_extensions(owner, repo, pipeline, configs, &endpoints).await
    }

    /// A restarted pipeline's stored files through the config extensions (the forge is not
    /// asked again).
    ///
    /// # Errors
    /// As [`Pipelines::pipeline_configs`].
    pub(super) async fn restart_configs(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        stored: Vec<Config>,
    ) -> Result<Vec<Config>, String> {
        let endpoints = self.extensions.as_ref().map(|e| e.config_chain(repo).1).unwrap_or_default();
        self.run_config_extensions(owner, repo, pipeline, stored, &endpoints).await
    }

    /// `configs` through each endpoint in turn: 200 replaces them, 204 keeps them.
    async fn run_config_extensions(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        mut configs: Vec<Config>,
        endpoints: &[Endpoint],
    ) -> Result<Vec<Config>, String> {
        let Some(extensions) = &self.extensions else { return Ok(configs) };
        for endpoint in endpoints {
            let failed =
                |e: &dyn std::fmt::Display| format!("could not load config from the config extension: {e}");
            let netrc = self.extension_netrc(owner, repo, endpoint).await.map_err(|e| failed(&e))?;
            let request = ExtensionRequest { repo, pipeline, netrc: netrc.as_ref() };
            let files = config_files(&configs);
            match extensions.client.configs(&endpoint.url, &request, &files).await {
                Ok(ConfigAnswer::Replace(files)) => {
                    configs = files.into_iter().map(|f| config(repo, &f.name, f.data)).collect();
                }
                Ok(ConfigAnswer::Keep) => {}
                Err(e) => return Err(failed(&e)),
            }
        }
        Ok(configs)
    }

    /// The stored secrets with the secret extensions' in front; an extension's secret hides
    /// a stored one of the same name.
    pub(super) async fn with_extension_secrets(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        stored: Vec<Secret>,
    ) -> Vec<Secret> {
        let Some(extensions) = &self.extensions else { return stored };
        let chain = extensions.secret_chain(repo);
        let provided =
            self.ask_each(owner, repo, pipeline, chain, "secret", |c, url, r| c.secrets(url, r)).await;
        first_by_key(provided.into_iter().chain(stored), |s| s.name.clone())
    }

    /// The stored registry credentials with the registry extensions' in front, by address.
    pub(super) async fn with_extension_registries(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        stored: Vec<Registry>,
    ) -> Vec<Registry> {
        let Some(extensions) = &self.extensions else { return stored };
        let chain = extensions.registry_chain(repo);
        let provided =
            self.ask_each(owner, repo, pipeline, chain, "registry", |c, url, r| c.registries(url, r)).await;
        first_by_key(provided.into_iter().chain(stored), |r| r.hostname.clone())
    }

    /// Everything the `kind` extensions of `chain` answer to `ask`, in chain order. One that
    /// fails, or whose clone credentials cannot be had, is logged and skipped: the stored
    /// entries are used without it.
    async fn ask_each<T>(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        chain: Vec<Endpoint>,
        kind: &str,
        ask: Ask<T>,
    ) -> Vec<T> {
        let Some(extensions) = &self.extensions else { return Vec::new() };
        let mut provided = Vec::new();
        for endpoint in chain {
            let Some(netrc) = self.netrc_or_warn(owner, repo, &endpoint, kind).await else { continue };
            let request = ExtensionRequest { repo, pipeline, netrc: netrc.as_ref() };
            match ask(extensions.client.as_ref(), &endpoint.url, &request).await {
                Ok(items) => provided.extend(items),
                Err(error) => {
                    tracing::warn!(%error, repo = repo.id, kind, "extension failed; using the stored entries only");
                }
            }
        }
        provided
    }

    /// The clone credentials for `endpoint`, when it is to get them.
    async fn extension_netrc(
        &self,
        owner: &User,
        repo: &Repo,
        endpoint: &Endpoint,
    ) -> Result<Option<Netrc>, crate::ports::forge::ForgeError> {
        if !endpoint.netrc {
            return Ok(None);
        }
        self.forge.netrc(owner, repo).await.map(Some)
    }

    /// [`Pipelines::extension_netrc`], logging a failure (`None`: skip this extension).
    async fn netrc_or_warn(
        &self,
        owner: &User,
        repo: &Repo,
        endpoint: &Endpoint,
        kind: &str,
    ) -> Option<Option<Netrc>> {
        match self.extension_netrc(owner, repo, endpoint).await {
            Ok(netrc) => Some(netrc),
            Err(error) => {
                tracing::warn!(%error, repo = repo.id, kind, "no clone credentials for the extension; skipped");
                None
            }
        }
    }
}

/// The client method that asks a secret or registry extension.
type Ask<T> = for<'a> fn(
    &'a dyn ExtensionClient,
    &'a str,
    &'a ExtensionRequest<'a>,
) -> BoxFuture<'a, Result<Vec<T>, ExtensionError>>;

/// The items in order, dropping any whose key an earlier one had.
fn first_by_key<T>(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|item| seen.insert(key(item))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml::ConfigFile;
    use crate::ports::extension::ExtensionError;

    struct Unused;

    #[async_trait::async_trait]
    impl ExtensionClient for Unused {
        async fn configs(
            &self,
            _: &str,
            _: &ExtensionRequest<'_>,
            _: &[ConfigFile],
        ) -> Result<ConfigAnswer, ExtensionError> {
            unreachable!("chains are computed without calls")
        }
        async fn secrets(&self, _: &str, _: &ExtensionRequest<'_>) -> Result<Vec<Secret>, ExtensionError> {
            unreachable!("chains are computed without calls")
        }
        async fn registries(
            &self,
            _: &str,
            _: &ExtensionRequest<'_>,
        ) -> Result<Vec<Registry>, ExtensionError> {
            unreachable!("chains are computed without calls")
        }
    }

    fn extensions(global: ExtensionEndpoints) -> Extensions {
        Extensions::new(Arc::new(Unused), global)
    }

    fn endpoint(url: &str) -> Option<Endpoint> {
        Endpoint::new(url, false)
    }

    #[test]
    fn a_repo_endpoint_follows_the_global_one_unless_exclusive() {
        let ext = extensions(ExtensionEndpoints { config: endpoint("http://global"), ..Default::default() });
        let repo = Repo { config_extension_endpoint: "http://repo".into(), ..Repo::default() };
        assert_eq!(
            ext.config_chain(&repo),
            (true, vec![endpoint("http://global").unwrap(), endpoint("http://repo").unwrap()])
        );
        let exclusive = Repo { config_extension_exclusive: true, ..repo };
        assert_eq!(ext.config_chain(&exclusive), (false, vec![endpoint("http://repo").unwrap()]));
        assert_eq!(ext.config_chain(&Repo::default()), (true, vec![endpoint("http://global").unwrap()]));
    }

    #[test]
    fn the_global_exclusive_flag_skips_the_forge_only_with_a_global_endpoint() {
        let only = extensions(ExtensionEndpoints {
            config: endpoint("http://global"),
            config_exclusive: true,
            ..Default::default()
        });
        assert!(!only.config_chain(&Repo::default()).0);
        let none = extensions(ExtensionEndpoints { config_exclusive: true, ..Default::default() });
        assert_eq!(none.config_chain(&Repo::default()), (true, vec![]));
    }

    #[test]
    fn the_first_item_of_a_name_wins() {
        let merged = first_by_key(["a1", "b1", "a2"], |s| s[..1].to_owned());
        assert_eq!(merged, ["a1", "b1"]);
    }
}
