//! Server-side inputs of a build besides files and metadata: secrets, registries,
//! global environment and the compiler settings the server passes upstream.

use std::collections::BTreeMap;

use indexmap::IndexMap;

/// Default clone plugin (`WOODPECKER_DEFAULT_CLONE_PLUGIN`).
pub const DEFAULT_CLONE_IMAGE: &str = "docker.io/woodpeckerci/plugin-git:2.10.0";
/// Payloads larger than this are refused.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// A secret available to the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secret {
    pub name: String,
    pub value: String,
    /// Image allow-list; non-empty restricts the secret to plugins with these images.
    pub images: Vec<String>,
    /// Event allow-list; empty means every event.
    pub events: Vec<String>,
}

/// Registry credentials, used for `auth_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    pub hostname: String,
    pub username: String,
    pub password: String,
}

/// Git credentials injected as `CI_NETRC_*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    pub machine: String,
    pub username: String,
    pub password: String,
}

/// `WOODPECKER_BACKEND_*_PROXY`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    pub no_proxy: String,
    pub http_proxy: String,
    pub https_proxy: String,
}

/// Inputs for the deterministic ULIDs of step UUIDs and the prefix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdSeed {
    /// Milliseconds since the epoch, the ULID time part.
    pub timestamp_ms: u64,
    /// Seed of the ULID random part (use a random value in production).
    pub seed: u64,
}

/// Everything the server passes to a build besides files and metadata.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub secrets: Vec<Secret>,
    pub registries: Vec<Registry>,
    /// `WOODPECKER_ENVIRONMENT` plus restart/deploy parameters.
    pub global_env: BTreeMap<String, String>,
    /// Manual/cron pipeline variables (non-plugin steps and step-level `evaluate` only).
    pub pipeline_variables: BTreeMap<String, String>,
    /// Empty disables the default clone step.
    pub default_clone_image: String,
    pub trusted_clone_images: Vec<String>,
    /// `WOODPECKER_PLUGINS_PRIVILEGED`.
    pub privileged_plugins: Vec<String>,
    /// `WOODPECKER_VOLUME`.
    pub volumes: Vec<String>,
    /// `WOODPECKER_NETWORK`.
    pub networks: Vec<String>,
    pub proxy: Proxy,
    /// Set when the repo is private or public repos are authenticated.
    pub netrc: Option<Netrc>,
    pub force_ignore_service_failure: bool,
    /// `WOODPECKER_DEFAULT_WORKFLOW_LABELS`, used when a workflow has no `labels`.
    pub default_labels: IndexMap<String, String>,
    pub ids: IdSeed,
    pub max_payload_bytes: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            secrets: vec![],
            registries: vec![],
            global_env: BTreeMap::new(),
            pipeline_variables: BTreeMap::new(),
            default_clone_image: DEFAULT_CLONE_IMAGE.to_string(),
            trusted_clone_images: vec![],
            privileged_plugins: vec![],
            volumes: vec![],
            networks: vec![],
            proxy: Proxy::default(),
            netrc: None,
            force_ignore_service_failure: true,
            default_labels: IndexMap::new(),
            ids: IdSeed::default(),
            max_payload_bytes: MAX_PAYLOAD_BYTES,
        }
    }
}

impl BuildOptions {
    /// Trusted clone images: the configured list plus the default clone plugin.
    pub fn trusted_clone_list(&self) -> Vec<String> {
        let mut list = self.trusted_clone_images.clone();
        if !self.default_clone_image.is_empty() {
            list.push(self.default_clone_image.clone());
        }
        list
    }
}
