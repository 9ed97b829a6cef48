//! Shared test inputs: the default metadata and options of fixture cases and the
//! `<case>.env.json` overrides.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use nuthatch::domain::yaml::env::ci_environ;
use nuthatch::domain::yaml::options::{IdSeed, Netrc, Proxy, Registry, Secret};
use nuthatch::domain::yaml::{BuildOptions, BuildOutcome, ConfigFile, Metadata, WorkflowOutcome, build};
use serde::Deserialize;
use serde_json::{Value, json};

/// Metadata of a push to `main` of `octo/hello` on a Gitea forge.
pub fn default_metadata() -> Value {
    json!({
        "repo": {"id": 7, "org_id": 3, "name": "hello", "owner": "octo", "remote_id": "42",
                 "forge_url": "https://forge.example/octo/hello",
                 "clone_url": "https://forge.example/octo/hello.git",
                 "clone_url_ssh": "git@forge.example:octo/hello.git", "branch": "main"},
        "curr": {"number": 12, "created": 1700000000, "event": "push",
                 "forge_url": "https://forge.example/octo/hello/commit/abc123", "author": "alice",
                 "avatar": "https://forge.example/avatars/alice",
                 "commit": {"sha": "abc123", "ref": "refs/heads/main", "refspec": "", "branch": "main",
                            "message": "fix: things", "timestamp": 1699999999,
                            "author": {"name": "Alice", "email": "alice@example.com"},
                            "changed_files": ["src/main.rs", "README.md"]}},
        "prev": {"number": 11, "status": "success", "event": "push",
                 "commit": {"sha": "def456", "ref": "refs/heads/main", "branch": "main"}},
        "sys": {"name": "woodpecker", "url": "https://ci.example", "host": "ci.example", "version": "3.0.0"},
        "forge": {"id": 1, "type": "gitea", "url": "https://forge.example"}
    })
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecretInput {
    pub name: String,
    pub value: String,
    pub images: Vec<String>,
    pub events: Vec<String>,
}

/// `<case>.env.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseEnv {
    pub metadata: Value,
    pub secrets: Vec<SecretInput>,
    pub registries: Vec<BTreeMap<String, String>>,
    pub global_env: BTreeMap<String, String>,
    pub pipeline_variables: BTreeMap<String, String>,
    pub privileged_plugins: Vec<String>,
    pub trusted_clone_images: Vec<String>,
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
    pub proxy: BTreeMap<String, String>,
    pub netrc: Option<BTreeMap<String, String>>,
    pub default_labels: BTreeMap<String, String>,
    pub default_clone_image: Option<String>,
    pub max_payload_bytes: Option<usize>,
    /// Keep built-in `CI_*` values in the golden output.
    pub full_env: bool,
    /// Golden output lists only workflows, axes and step names per stage.
    pub summary: bool,
}

impl CaseEnv {
    pub fn load(path: &Path) -> CaseEnv {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            Err(_) => CaseEnv::default(),
        }
    }

    pub fn metadata(&self, mut base: Value) -> Metadata {
        if !self.metadata.is_null() {
            merge(&mut base, &self.metadata);
        }
        serde_json::from_value(base).unwrap()
    }

    pub fn options(&self) -> BuildOptions {
        let get = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
        let mut o = BuildOptions {
            secrets: self
                .secrets
                .iter()
                .map(|s| Secret {
                    name: s.name.clone(),
                    value: s.value.clone(),
                    images: s.images.clone(),
                    events: s.events.clone(),
                })
                .collect(),
            registries: self
                .registries
                .iter()
                .map(|r| Registry {
                    hostname: get(r, "hostname"),
                    username: get(r, "username"),
                    password: get(r, "password"),
                })
                .collect(),
            global_env: self.global_env.clone(),
            pipeline_variables: self.pipeline_variables.clone(),
            trusted_clone_images: self.trusted_clone_images.clone(),
            privileged_plugins: self.privileged_plugins.clone(),
            volumes: self.volumes.clone(),
            networks: self.networks.clone(),
            proxy: Proxy {
                no_proxy: get(&self.proxy, "no_proxy"),
                http_proxy: get(&self.proxy, "http_proxy"),
                https_proxy: get(&self.proxy, "https_proxy"),
            },
            netrc: self.netrc.as_ref().map(|n| Netrc {
                machine: get(n, "machine"),
                username: get(n, "username"),
                password: get(n, "password"),
            }),
            default_labels: self.default_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ids: IdSeed { timestamp_ms: 1_700_000_000_000, seed: 42 },
            ..BuildOptions::default()
        };
        if let Some(image) = &self.default_clone_image {
            o.default_clone_image = image.clone();
        }
        if let Some(max) = self.max_payload_bytes {
            o.max_payload_bytes = max;
        }
        o
    }
}

/// Build a case with its env overrides.
pub fn build_case(files: &[ConfigFile], env: &CaseEnv) -> BuildOutcome {
    build(files, &env.metadata(default_metadata()), &env.options())
}

/// Compile-time `CI_*` environment of a built workflow.
pub fn workflow_ci_env(metadata: &Metadata, w: &WorkflowOutcome) -> BTreeMap<String, String> {
    let mut m = metadata.clone();
    m.workflow.name = w.name.clone();
    m.workflow.number = w.pid;
    m.workflow.matrix = w.environ.clone();
    ci_environ(&m)
}
