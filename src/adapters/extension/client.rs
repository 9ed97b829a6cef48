//! The extension HTTP client (upstream's `server/services/utils/http.go`): a signed JSON POST,
//! tried up to three times with exponential backoff on timeouts, failed connections and 5xx
//! answers, signed afresh for every try; each try times out on its own (10 s by default). The
//! allow-list is applied to IP literals here and to resolved addresses by the resolver; redirects
//! are not followed, since a redirect could lead around the allow-list. `https://` endpoints
//! are verified against the host name in the URL (see [`tls`](crate::adapters::tls)), whatever address
//! the allow-list let the connection go to.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;

use crate::adapters::error_chain;
use crate::adapters::extension::hosts::{BlockedHost, GuardedResolver, HostRules};
use crate::adapters::extension::wire;
use crate::adapters::tls;
use crate::domain::yaml::ConfigFile;
use crate::domain::yaml::options::{Registry, Secret};
use crate::ports::extension::{
    ConfigAnswer, ExtensionClient, ExtensionError, ExtensionRequest, RequestSigner, SignableRequest,
};

/// Tries per request, the first included.
const TRIES: u32 = 3;
/// Wait before the second try; doubled for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Most of an error answer's body quoted in the error.
const QUOTED_BODY: usize = 200;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Where requests may go.
    pub allowed_hosts: HostRules,
    /// Limit of one try.
    pub timeout: Duration,
    /// The version in `User-Agent: Woodpecker/<version> (server-extensions)`.
    pub version: String,
    /// A PEM bundle of CAs trusted besides the system's (`NUTHATCH_EXTENSION_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

/// The connector: TLS for `https://`, plain TCP for `http://`, both through the guarded resolver.
type Connector = HttpsConnector<HttpConnector<GuardedResolver>>;

/// Signed JSON requests to extensions over HTTP(S).
pub struct HttpExtensionClient {
    http: Client<Connector, Full<Bytes>>,
    user_agent: HeaderValue,
    signer: Arc<dyn RequestSigner>,
    rules: Arc<HostRules>,
    timeout: Duration,
}

impl HttpExtensionClient {
    /// A client signing with `signer`.
    ///
    /// # Errors
    /// When the CA file is unusable or the version makes no valid header.
    pub fn new(signer: Arc<dyn RequestSigner>, settings: ClientSettings) -> anyhow::Result<Self> {
        let rules = Arc::new(settings.allowed_hosts);
        let mut tcp = HttpConnector::new_with_resolver(GuardedResolver::new(rules.clone()));
        // The TLS layer wraps it and handles `https://` itself.
        tcp.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config(settings.ca_file.as_deref())?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let user_agent =
            HeaderValue::try_from(format!("Woodpecker/{} (server-extensions)", settings.version))
                .context("the version makes no valid User-Agent")?;
        Ok(Self { http, user_agent, signer, rules, timeout: settings.timeout })
    }

    /// Asks a secret or registry extension: a 200 answer's list as `parse` reads it, none for 204.
    async fn list<T>(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
        parse: fn(&[u8]) -> Result<Vec<T>, ExtensionError>,
    ) -> Result<Vec<T>, ExtensionError> {
        match self.post(endpoint, wire::request_body(request, None)).await? {
            (200, body) => parse(&body),
            (204, _) => Ok(Vec::new()),
            (status, body) => Err(unexpected(status, &body)),
        }
    }

    /// POSTs `body` to `endpoint`: the final status and body, after retries.
    async fn post(&self, endpoint: &str, body: Vec<u8>) -> Result<(u16, Bytes), ExtensionError> {
        let url = self.checked_url(endpoint)?;
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt == TRIES;
            match self.try_once(&url, &target, &body).await {
                Ok((status, _)) if is_retryable_status(status) && !last => {
                    tracing::debug!(endpoint, status, attempt, "extension answered a server error, retrying");
                }
                Ok(answer) => return Ok(answer),
                Err(e) if is_transient(&e) && !last => {
                    tracing::debug!(endpoint, error = %e, attempt, "extension request failed, retrying");
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(attempt - 1)).await;
        }
    }

    /// One signed try, limited to the timeout from connecting to the answer's last byte.
    async fn try_once(&self, url: &Url, target: &str, body: &[u8]) -> Result<(u16, Bytes), ExtensionError> {
        let signable = SignableRequest { method: "POST", target, body };
        let mut request = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, self.user_agent.clone());
        for (name, value) in self.signer.sign(&signable).await? {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| ExtensionError::Signing(format!("the signed request is not valid HTTP: {e}")))?;
        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| classify(&e))?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.map_err(|e| classify(&e))?.to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ExtensionError::Timeout(self.timeout.as_secs()))?
    }

    /// The endpoint as a URL, refused when it is not HTTP(S) or names a disallowed address.
    fn checked_url(&self, endpoint: &str) -> Result<Url, ExtensionError> {
        let invalid = |reason: &str| ExtensionError::InvalidEndpoint {
            endpoint: endpoint.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(endpoint).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("not an http or https URL"));
        }
        let host = url.host_str().ok_or_else(|| invalid("no host"))?;
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if literal.parse::<std::net::IpAddr>().is_ok() && !self.rules.allows_host(host) {
            return Err(ExtensionError::Blocked(host.to_owned()));
        }
        Ok(url)
    }
}

/// The port's error for a failed connection or exchange: blocked by the allow-list, or
/// unreachable with the whole cause chain (a refused certificate says why there).
fn classify(error: &(dyn std::error::Error + 'static)) -> ExtensionError {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<BlockedHost>() {
            return ExtensionError::Blocked(blocked.0.clone());
        }
        source = e.source();
    }
    ExtensionError::Unreachable(error_chain(error))
}

/// Server errors upstream retries (500–510).
fn is_retryable_status(status: u16) -> bool {
    (500..511).contains(&status)
}

/// Failures worth another try.
fn is_transient(error: &ExtensionError) -> bool {
    matches!(error, ExtensionError::Timeout(_) | ExtensionError::Unreachable(_))
}

/// The error for an answer that is neither 200 nor 204.
fn unexpected(status: u16, body: &[u8]) -> ExtensionError {
    let text = String::from_utf8_lossy(body);
    let body: String = text.trim().chars().take(QUOTED_BODY).collect();
    ExtensionError::Status { status, body }
}

#[async_trait]
impl ExtensionClient for HttpExtensionClient {
    async fn configs(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
        files: &[ConfigFile],
    ) -> Result<ConfigAnswer, ExtensionError> {
        match self.post(endpoint, wire::request_body(request, Some(files))).await? {
            (200, body) => Ok(ConfigAnswer::Replace(wire::configs_answer(&body)?)),
            (204, _) => Ok(ConfigAnswer::Keep),
            (status, body) => Err(unexpected(status, &body)),
        }
    }

    async fn secrets(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
    ) -> Result<Vec<Secret>, ExtensionError> {
        self.list(endpoint, request, wire::secrets_answer).await
    }

    async fn registries(
        &self,
        endpoint: &str,
        request: &ExtensionRequest<'_>,
    ) -> Result<Vec<Registry>, ExtensionError> {
        self.list(endpoint, request, wire::registries_answer).await
    }
}
