//! The signature Woodpecker 3.x sends and its extensions verify: HTTP Message Signatures (RFC
//! 9421) with Ed25519, label `woodpecker-ci-extensions`, covering `@request-target` and
//! `content-digest` with `created` and `alg="ed25519"` (no `keyid`), as yaronf/httpsign signs
//! (engine.md §7.4). Built with `httpsig-hyper`; the `Content-Digest` header (sha-256) comes
//! from it too.

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::Full;
use httpsig_hyper::prelude::message_component::HttpMessageComponentId;
use httpsig_hyper::prelude::{AlgorithmName, HttpSignatureParams, SecretKey};
use httpsig_hyper::{ContentDigestType, MessageSignatureReq as _, RequestContentDigest as _};

use crate::ports::extension::{ExtensionError, RequestSigner, SignableRequest};

/// The signature label upstream uses.
pub const LABEL: &str = "woodpecker-ci-extensions";

/// The covered components, in upstream's order.
const COMPONENTS: [&str; 2] = ["@request-target", "content-digest"];

/// The headers a signature adds.
const SIGNATURE_HEADERS: [&str; 3] = ["content-digest", "signature-input", "signature"];

/// Signs per RFC 9421.
pub struct Rfc9421Signer {
    key: SecretKey,
}

impl std::fmt::Debug for Rfc9421Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rfc9421Signer")
    }
}

impl Rfc9421Signer {
    /// A signer with the key of this 32-byte Ed25519 seed.
    ///
    /// # Errors
    /// A seed the library refuses.
    pub fn new(seed: &[u8; 32]) -> Result<Self, ExtensionError> {
        let key = SecretKey::from_bytes(&AlgorithmName::Ed25519, seed).map_err(signing)?;
        Ok(Self { key })
    }
}

fn signing(e: impl std::fmt::Display) -> ExtensionError {
    ExtensionError::Signing(e.to_string())
}

#[async_trait]
impl RequestSigner for Rfc9421Signer {
    async fn sign(&self, request: &SignableRequest<'_>) -> Result<Vec<(String, String)>, ExtensionError> {
        let message = http::Request::builder()
            .method(request.method)
            .uri(request.target)
            .body(Full::new(Bytes::copy_from_slice(request.body)))
            .map_err(signing)?;
        let mut message = message.set_content_digest(&ContentDigestType::Sha256).await.map_err(signing)?;
        let components = COMPONENTS
            .iter()
            .map(|c| HttpMessageComponentId::try_from(*c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(signing)?;
        // `try_new` stamps `created` with the current time: a retry signs afresh.
        let mut params = HttpSignatureParams::try_new(&components).map_err(signing)?;
        params.set_alg(&AlgorithmName::Ed25519);
        message.set_message_signature(&params, &self.key, Some(LABEL)).await.map_err(signing)?;
        SIGNATURE_HEADERS
            .iter()
            .map(|name| {
                let value =
                    message.headers().get(*name).ok_or_else(|| signing(format!("no {name} header")))?;
                Ok(((*name).to_owned(), value.to_str().map_err(signing)?.to_owned()))
            })
            .collect()
    }
}
