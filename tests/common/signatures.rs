//! Verifiers of the signatures extension requests carry, written from the specifications (RFC
//! 9421 and draft-cavage-http-signatures) with ring alone, so the tests never check our signing
//! code with itself. Also the PEM parser for `/api/signature/public-key`.

#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::digest::{SHA256, digest};
use ring::signature::{ED25519, UnparsedPublicKey};

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const SPKI_ED25519_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// Oldest a signature may be, in seconds (yaronf/httpsign's default, which 3.x services use).
pub const MAX_AGE: i64 = 10;
/// How far in the future `created` may lie, in seconds (the same library's default).
const MAX_SKEW: i64 = 2;

/// The 32 key bytes of a PEM `PUBLIC KEY` block; panics unless it is an Ed25519 SPKI.
pub fn ed25519_key_of(pem: &str) -> Vec<u8> {
    let mut lines = pem.lines();
    assert_eq!(lines.next(), Some("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let body: String = lines.by_ref().take_while(|l| !l.starts_with("-----END")).collect();
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
    let der = B64.decode(body).unwrap();
    assert_eq!(der.len(), 44);
    assert_eq!(der[..12], SPKI_ED25519_PREFIX);
    der[12..].to_vec()
}

/// A request as an extension received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Upper-case method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it arrived (Unix seconds): the "now" its signature is checked against.
    pub at: i64,
}

impl Received {
    /// The value of header `name` (lower-case); `Err` when missing.
    pub fn header(&self, name: &str) -> Result<&str, String> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or(format!("no {name} header"))
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Checks an RFC 9421 signature labelled `label` over `@request-target` and `content-digest`,
/// the digest against the body, and that `created` is at most [`MAX_AGE`] seconds before `now`.
pub fn verify_rfc9421(request: &Received, label: &str, public_key: &[u8], now: i64) -> Result<(), String> {
    let content_digest = request.header("content-digest")?;
    let expected = format!("sha-256=:{}:", B64.encode(digest(&SHA256, &request.body)));
    if content_digest != expected {
        return Err(format!("content-digest {content_digest} does not match the body ({expected})"));
    }

    // Signature-Input: <label>=(<components>);<params> — its member value is also the
    // `@signature-params` line of the signature base (RFC 9421 §2.3).
    let input = request.header("signature-input")?;
    let params =
        input.strip_prefix(&format!("{label}=")).ok_or(format!("no signature labelled {label}: {input}"))?;
    let close = params.find(')').ok_or("no component list")?;
    let components: Vec<&str> = params[1..close].split(' ').map(|c| c.trim_matches('"')).collect();
    if components != ["@request-target", "content-digest"] {
        return Err(format!("covered components are {components:?}"));
    }
    let mut created = None;
    let mut alg = None;
    for param in params[close + 1..].split(';').filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("created", v)) => created = v.parse::<i64>().ok(),
            Some(("alg", v)) => alg = Some(v.trim_matches('"')),
            _ => {}
        }
    }
    if alg != Some("ed25519") {
        return Err(format!("alg is {alg:?}"));
    }
    let created = created.ok_or("no created parameter")?;
    if now - created > MAX_AGE {
        return Err(format!("signature created {}s ago", now - created));
    }
    if created - now > MAX_SKEW {
        return Err(format!("signature created {}s in the future", created - now));
    }

    let signature = request.header("signature")?;
    let encoded = signature
        .strip_prefix(&format!("{label}=:"))
        .and_then(|s| s.strip_suffix(':'))
        .ok_or(format!("malformed signature header {signature}"))?;
    let signature = B64.decode(encoded).map_err(|e| e.to_string())?;
    let base = format!(
        "\"@request-target\": {}\n\"content-digest\": {content_digest}\n\"@signature-params\": {params}",
        request.target
    );
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(base.as_bytes(), &signature)
        .map_err(|_| format!("the signature does not verify over:\n{base}"))
}

/// Checks a cavage `Signature:` header (keyId, algorithm `ed25519`, headers `(request-target)
/// date`) and that its `Date` is at most [`MAX_AGE`] seconds before `now`.
pub fn verify_cavage(request: &Received, key_id: &str, public_key: &[u8], now: i64) -> Result<(), String> {
    let header = request.header("signature")?;
    let field = |name: &str| {
        header
            .split(',')
            .find_map(|part| part.strip_prefix(&format!("{name}=\"")))
            .and_then(|v| v.strip_suffix('"'))
            .ok_or(format!("no {name} in {header}"))
    };
    if field("keyId")? != key_id
        || field("algorithm")? != "ed25519"
        || field("headers")? != "(request-target) date"
    {
        return Err(format!("unexpected signature parameters: {header}"));
    }
    let date = request.header("date")?;
    let sent = chrono::DateTime::parse_from_rfc2822(date).map_err(|e| format!("bad date {date}: {e}"))?;
    if now - sent.timestamp() > MAX_AGE {
        return Err(format!("request dated {}s ago", now - sent.timestamp()));
    }
    let signing_string =
        format!("(request-target): {} {}\ndate: {date}", request.method.to_lowercase(), request.target);
    let signature = B64.decode(field("signature")?).map_err(|e| e.to_string())?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(signing_string.as_bytes(), &signature)
        .map_err(|_| format!("the signature does not verify over:\n{signing_string}"))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
