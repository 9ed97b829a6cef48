//! The extension port: HTTP services the server consults while building a pipeline (engine.md
//! §7.2–§7.3). A config extension may replace the pipeline's config files; secret and registry
//! extensions add credentials to the stored ones. Every request is signed with the cluster's
//! key ([`RequestSigner`]) so the service can tell it comes from this server.

use async_trait::async_trait;

use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::yaml::ConfigFile;
use crate::domain::yaml::options::{Registry, Secret};
use crate::ports::forge::Netrc;

/// Why an extension gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ExtensionError {
    /// The endpoint is not a URL the client can call.
    #[error("invalid extension endpoint '{endpoint}': {reason}")]
    InvalidEndpoint {
        /// The configured endpoint.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint's host or address is not allowed by `WOODPECKER_EXTENSIONS_ALLOWED_HOSTS`.
    #[error("{0} is not allowed by WOODPECKER_EXTENSIONS_ALLOWED_HOSTS")]
    Blocked(String),
    /// No answer in time, after every try.
    #[error("no answer within {0} s")]
    Timeout(u64),
    /// The connection failed, after every try.
    #[error("cannot reach the extension: {0}")]
    Unreachable(String),
    /// The extension answered with a status that means neither "here it is" nor "nothing".
    #[error("the extension answered {status}: {body}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The start of the answer's body, for the error message.
        body: String,
    },
    /// A 200 whose body is not the expected JSON.
    #[error("the extension's answer is not valid JSON of the expected shape: {0}")]
    BadAnswer(String),
    /// The request could not be signed.
    #[error("cannot sign the extension request: {0}")]
    Signing(String),
}

/// What every extension request tells the service about the pipeline being built.
#[derive(Debug, Clone, Copy)]
pub struct ExtensionRequest<'a> {
    /// The repo.
    pub repo: &'a Repo,
    /// The pipeline being created or restarted.
    pub pipeline: &'a Pipeline,
    /// Clone credentials, only when the netrc option of this extension is set.
    pub netrc: Option<&'a Netrc>,
}

/// A config extension's verdict on the files it was sent.
#[derive(Debug, Clone)]
pub enum ConfigAnswer {
    /// 200: build from these files instead.
    Replace(Vec<ConfigFile>),
    /// 204: keep the files as they are.
    Keep,
}

/// The signed HTTP calls to extensions. Implementations retry transient failures themselves.
#[async_trait]
pub trait ExtensionClient: Send + Sync + 'static {
    /// Sends the pipeline and its current config `files` to the config extension at `endpoint`.
    ///
    /// # Errors
    /// Any answer but 200 with `{"configs": [...]}` or 204, a timeout, an unreachable or
    /// disallowed endpoint.
    async fn configs(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
        files: &[ConfigFile],
    ) -> Result<ConfigAnswer, ExtensionError>;

    /// The secrets the secret extension at `endpoint` provides for this pipeline (204: none).
    ///
    /// # Errors
    /// As [`ExtensionClient::configs`], for `{"secrets": [...]}`.
    async fn secrets(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
    ) -> Result<Vec<Secret>, ExtensionError>;

    /// The registry credentials the registry extension at `endpoint` provides (204: none).
    ///
    /// # Errors
    /// As [`ExtensionClient::configs`], for `{"registries": [...]}`.
    async fn registries(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
    ) -> Result<Vec<Registry>, ExtensionError>;
}

/// A request about to be sent, as much of it as a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// Upper-case method, e.g. `POST`.
    pub method: &'a str,
    /// Path and query, e.g. `/ciconfig?x=1` (the `@request-target` / `(request-target)`).
    pub target: &'a str,
    /// The body as sent.
    pub body: &'a [u8],
}

/// Signs extension requests with the cluster's key. Called again for every retry, so each try
/// carries a fresh timestamp.
#[async_trait]
pub trait RequestSigner: Send + Sync + 'static {
    /// The headers (name, value) to add to `request`.
    ///
    /// # Errors
    /// [`ExtensionError::Signing`] when the signature cannot be made.
    async fn sign(&self, request: &SignableRequest<'_>) -> Result<Vec<(String, String)>, ExtensionError>;
}
