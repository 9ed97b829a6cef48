//! What the server passes to every pipeline build besides the repo's own files and secrets.

use crate::domain::yaml::BuildOptions;

/// Server-wide settings of pipeline builds.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Public URL of the server (`WOODPECKER_HOST`), for `CI_SYSTEM_URL` and links.
    pub host: String,
    /// The compiler settings every build starts from: default clone image, trusted clone and
    /// privileged plugin images, volumes, networks, proxy, global environment
    /// (`WOODPECKER_ENVIRONMENT`), default workflow labels. Secrets, registries, variables,
    /// clone credentials and ids are filled in per pipeline.
    pub build: BuildOptions,
    /// Also give clone credentials to public repos (`WOODPECKER_AUTHENTICATE_PUBLIC_REPOS`).
    pub authenticate_public_repos: bool,
}

impl PipelineSettings {
    /// Upstream's defaults for a server at `host`.
    pub fn new(host: impl Into<String>) -> Self {
        Self { host: host.into(), build: BuildOptions::default(), authenticate_public_repos: false }
    }
}
