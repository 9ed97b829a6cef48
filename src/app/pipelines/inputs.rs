//! What a build needs besides the files (engine.md §2.3 step 1): the metadata of repo, pipeline
//! and previous pipeline, the secrets and registries that apply (repo beats org beats global),
//! and the clone credentials.

use std::collections::BTreeMap;

use crate::app::pipelines::{LifecycleError, Pipelines, all_pages};
use crate::app::version;
use crate::domain::metadata::{ServerFacts, pipeline_metadata};
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::secret::Scope;
use crate::domain::user::User;
use crate::domain::yaml::Metadata;
use crate::domain::yaml::options::{Netrc, Registry, Secret};
use crate::ports::store::{Page, PipelineFilter, StoreError};

impl Pipelines {
    /// The metadata `pipeline` is built with: its repo, itself, the newest earlier pipeline of
    /// its branch, the server and the forge.
    pub(super) async fn metadata(
        &self,
        repo: &Repo,
        pipeline: &Pipeline,
    ) -> Result<Metadata, LifecycleError> {
        let store = &self.engine.store;
        let forge = match store.get_forge(repo.forge_id).await {
            Ok(forge) => Some(forge),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let filter = PipelineFilter { branch: Some(pipeline.branch.clone()), ..PipelineFilter::default() };
        let prev = store
            .list_pipelines(repo.id, &filter, Page::default())
            .await?
            .into_iter()
            .find(|p| p.number < pipeline.number);
        let version = version::version();
        let server = ServerFacts { url: &self.settings.host, version: &version };
        Ok(pipeline_metadata(forge.as_ref(), repo, pipeline, prev.as_ref(), None, server))
    }

    /// The secrets of the repo, its org and the server; a name defined in several scopes
    /// resolves to the narrowest one. Values go into the payload so agents can mask them.
    pub(super) async fn secrets(&self, repo: &Repo) -> Result<Vec<Secret>, LifecycleError> {
        let mut by_name: BTreeMap<String, (u8, Secret)> = BTreeMap::new();
        for scope in scopes(repo) {
            let store = &self.engine.store;
            for s in all_pages(|page| store.list_secrets(scope, page)).await? {
                let secret = Secret {
                    name: s.name.clone(),
                    value: s.value,
                    images: s.images,
                    events: s.events.iter().map(|e| e.as_str().to_owned()).collect(),
                };
                keep_narrowest(&mut by_name, s.name, scope.precedence(), secret);
            }
        }
        Ok(by_name.into_values().map(|(_, s)| s).collect())
    }

    /// The registry credentials of the repo, its org and the server, narrowest first per address.
    pub(super) async fn registries(&self, repo: &Repo) -> Result<Vec<Registry>, LifecycleError> {
        let mut by_address: BTreeMap<String, (u8, Registry)> = BTreeMap::new();
        for scope in scopes(repo) {
            let store = &self.engine.store;
            for r in all_pages(|page| store.list_registries(scope, page)).await? {
                let registry =
                    Registry { hostname: r.address.clone(), username: r.username, password: r.password };
                keep_narrowest(&mut by_address, r.address, scope.precedence(), registry);
            }
        }
        Ok(by_address.into_values().map(|(_, r)| r).collect())
    }

    /// Clone credentials, for private repos (and public ones when the server says so).
    pub(super) async fn netrc(&self, owner: &User, repo: &Repo) -> Result<Option<Netrc>, LifecycleError> {
        if !repo.private && !self.settings.authenticate_public_repos {
            return Ok(None);
        }
        let netrc = self.forge.netrc(owner, repo).await?;
        Ok(Some(Netrc { machine: netrc.machine, username: netrc.login, password: netrc.password }))
    }
}

/// The scopes whose secrets and registries a repo's pipelines see.
fn scopes(repo: &Repo) -> Vec<Scope> {
    let mut scopes = vec![Scope::Repo(repo.id)];
    if repo.org_id != 0 {
        scopes.push(Scope::Org(repo.org_id));
    }
    scopes.push(Scope::Global);
    scopes
}

/// Keeps `value` under `key` unless a narrower scope already provided one.
fn keep_narrowest<T>(map: &mut BTreeMap<String, (u8, T)>, key: String, precedence: u8, value: T) {
    if map.get(&key).is_none_or(|(p, _)| *p < precedence) {
        map.insert(key, (precedence, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_narrowest_scope_wins_whatever_the_order() {
        let mut map = BTreeMap::new();
        keep_narrowest(&mut map, "token".into(), Scope::Global.precedence(), "global");
        keep_narrowest(&mut map, "token".into(), Scope::Repo(1).precedence(), "repo");
        keep_narrowest(&mut map, "token".into(), Scope::Org(1).precedence(), "org");
        assert_eq!(map["token"].1, "repo");
    }

    #[test]
    fn repos_without_an_org_skip_the_org_scope() {
        assert_eq!(scopes(&Repo { id: 3, ..Repo::default() }), [Scope::Repo(3), Scope::Global]);
        assert_eq!(
            scopes(&Repo { id: 3, org_id: 2, ..Repo::default() }),
            [Scope::Repo(3), Scope::Org(2), Scope::Global]
        );
    }
}
