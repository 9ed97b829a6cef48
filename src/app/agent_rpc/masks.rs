//! The secret values to hide in a workflow's logs: every secret its repo can read (repo, org
//! and global ones), loaded once per workflow and kept a while, since log batches arrive every
//! second while a workflow runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::engine::Engine;
use crate::domain::mask::Masker;
use crate::domain::repo::Repo;
use crate::domain::secret::Scope;
use crate::ports::store::{Page, StoreError};

/// How long a workflow's masker is reused before the secrets are read again.
const KEEP: Duration = Duration::from_secs(600);

/// A workflow's masker and when it was built.
type Cached = (Instant, Arc<Masker>);

/// Maskers by workflow id.
#[derive(Clone)]
pub struct Masks {
    engine: Engine,
    cache: Arc<Mutex<HashMap<i64, Cached>>>,
}

impl Masks {
    /// An empty cache over the engine's store.
    pub fn new(engine: Engine) -> Self {
        Self { engine, cache: Arc::default() }
    }

    /// The masker of a workflow of `repo`.
    ///
    /// # Errors
    /// Store failures while reading the secrets.
    pub async fn for_workflow(&self, workflow_id: i64, repo: &Repo) -> Result<Arc<Masker>, StoreError> {
        if let Some(masker) = self.cached(workflow_id) {
            return Ok(masker);
        }
        let mut values = Vec::new();
        let org = (repo.org_id != 0).then_some(Scope::Org(repo.org_id));
        for scope in [Some(Scope::Repo(repo.id)), org, Some(Scope::Global)].into_iter().flatten() {
            values.extend(self.secret_values(scope).await?);
        }
        let masker = Arc::new(Masker::new(values));
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|_, (at, _)| now.duration_since(*at) < KEEP);
        cache.insert(workflow_id, (now, masker.clone()));
        Ok(masker)
    }

    fn cached(&self, workflow_id: i64) -> Option<Arc<Masker>> {
        let cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(&workflow_id).filter(|(at, _)| at.elapsed() < KEEP).map(|(_, m)| m.clone())
    }

    async fn secret_values(&self, scope: Scope) -> Result<Vec<String>, StoreError> {
        let mut values = Vec::new();
        for page in 1.. {
            let secrets = self.engine.store.list_secrets(scope, Page::new(page, Page::MAX_PER_PAGE)).await?;
            let last = secrets.len() < Page::MAX_PER_PAGE as usize;
            values.extend(secrets.into_iter().map(|s| s.value));
            if last {
                break;
            }
        }
        Ok(values)
    }
}
