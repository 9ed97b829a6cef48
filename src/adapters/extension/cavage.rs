//! The signature Woodpecker 2.x extensions verify (go-ap/httpsig, draft-cavage-http-signatures):
//! a `Signature:` header over `(request-target)` and `date`, Ed25519 with ring. Written by hand
//! because the `http-sig` crate writes `Authorization:` with `algorithm="hs2019"`, which those
//! services reject (crates.md §8).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::signature::Ed25519KeyPair;

use crate::ports::extension::{ExtensionError, RequestSigner, SignableRequest};

/// The key id Woodpecker 2.x sends.
pub const KEY_ID: &str = "woodpecker-ci-plugins";

/// Signs with the cavage `Signature:` header.
#[derive(Debug)]
pub struct CavageSigner {
    pair: Ed25519KeyPair,
}

impl CavageSigner {
    /// A signer with the key of this 32-byte Ed25519 seed.
    ///
    /// # Errors
    /// A seed ring refuses.
    pub fn new(seed: &[u8; 32]) -> Result<Self, ExtensionError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| ExtensionError::Signing("invalid Ed25519 seed".into()))?;
        Ok(Self { pair })
    }
}

/// The signed text: one `name: value` line per covered header, as the draft defines it.
pub fn signing_string(method: &str, target: &str, date: &str) -> String {
    format!("(request-target): {} {target}\ndate: {date}", method.to_ascii_lowercase())
}

#[async_trait]
impl RequestSigner for CavageSigner {
    async fn sign(&self, request: &SignableRequest<'_>) -> Result<Vec<(String, String)>, ExtensionError> {
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let signature = self.pair.sign(signing_string(request.method, request.target, &date).as_bytes());
        let header = format!(
            "keyId=\"{KEY_ID}\",algorithm=\"ed25519\",headers=\"(request-target) date\",signature=\"{}\"",
            B64.encode(signature.as_ref())
        );
        Ok(vec![("date".into(), date), ("signature".into(), header)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ED25519, KeyPair as _, UnparsedPublicKey};

    #[tokio::test]
    async fn the_signature_header_covers_request_target_and_date() {
        let seed = [7u8; 32];
        let signer = CavageSigner::new(&seed).unwrap();
        let request = SignableRequest { method: "POST", target: "/ciconfig?x=1", body: b"{}" };
        let headers = signer.sign(&request).await.unwrap();
        let date = &headers.iter().find(|(n, _)| n == "date").unwrap().1;
        let header = &headers.iter().find(|(n, _)| n == "signature").unwrap().1;
        assert!(header.starts_with(
            "keyId=\"woodpecker-ci-plugins\",algorithm=\"ed25519\",headers=\"(request-target) date\",signature=\""
        ));
        let signature = header.rsplit_once("signature=\"").unwrap().1.trim_end_matches('"');
        let public = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap().public_key().as_ref().to_vec();
        let text = format!("(request-target): post /ciconfig?x=1\ndate: {date}");
        UnparsedPublicKey::new(&ED25519, public)
            .verify(text.as_bytes(), &B64.decode(signature).unwrap())
            .unwrap();
    }
}
