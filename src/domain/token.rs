//! Tokens as upstream mints them: HS256 JWTs whose custom claim `type` says what they are for
//! (personal access, session, CSRF, webhook, OAuth state). All custom claims are strings.
//!
//! The signing secret depends on the token: a user's tokens are signed with that user's `hash`,
//! a hook token with its repo's `hash`. So a caller first [`Token::peek`]s at the unverified
//! claims, loads the secret they point at, and then [`Peeked::verify`]s them.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use serde_json::{Map, Value};

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// Personal access token; no expiry.
    User,
    /// Browser session; expires.
    Sess,
    /// CSRF token for a browser session.
    Csrf,
    /// Webhook token of a repo.
    Hook,
    /// OAuth login state; expires after minutes.
    OauthState,
    /// An agent's gRPC access token; expires after an hour.
    Agent,
}

impl TokenType {
    /// The `type` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Sess => "sess",
            Self::Csrf => "csrf",
            Self::Hook => "hook",
            Self::OauthState => "oauth-state",
            Self::Agent => "agent",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::User, Self::Sess, Self::Csrf, Self::Hook, Self::OauthState, Self::Agent]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Claim names upstream uses.
pub mod claims {
    /// The user a user/sess/csrf token belongs to.
    pub const USER_ID: &str = "user-id";
    /// The forge of a hook or OAuth state token.
    pub const FORGE_ID: &str = "forge-id";
    /// The repo's id at its forge, in a hook token.
    pub const REPO_FORGE_REMOTE_ID: &str = "repo-forge-remote-id";
    /// Legacy hook tokens name the repo by store id.
    pub const REPO_ID: &str = "repo-id";
    /// The agent an agent access token belongs to.
    pub const AGENT_ID: &str = "agent-id";
}

/// A token's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is for.
    pub kind: TokenType,
    /// Custom string claims (`user-id`, ...).
    pub claims: BTreeMap<String, String>,
    /// Unix time after which it is invalid, if it expires.
    pub expires: Option<i64>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    #[error("malformed token")]
    Malformed,
    /// The header names another algorithm than HS256.
    #[error("unsupported signing algorithm")]
    Algorithm,
    /// The `type` claim is missing or not one the caller accepts.
    #[error("token of the wrong type")]
    WrongType,
    /// The signature does not match.
    #[error("invalid token signature")]
    Signature,
    /// Expired, or not yet valid.
    #[error("token expired")]
    Expired,
}

impl Token {
    /// A token of `kind` with the given claims and no expiry.
    pub fn new(kind: TokenType, claims: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        Self { kind, claims: claims.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), expires: None }
    }

    /// The same token, expiring at unix time `at`.
    pub fn expiring_at(mut self, at: i64) -> Self {
        self.expires = Some(at);
        self
    }

    /// A claim's value.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).map(String::as_str)
    }

    /// Signs it with `secret`, giving the compact JWT.
    pub fn sign(&self, secret: &[u8]) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let mut payload: Map<String, Value> =
            self.claims.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        payload.insert("type".into(), Value::String(self.kind.as_str().into()));
        if let Some(exp) = self.expires {
            payload.insert("exp".into(), Value::from(exp));
        }
        let body = B64.encode(Value::Object(payload).to_string());
        let signing_input = format!("{header}.{body}");
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(tag.as_ref()))
    }

    /// Reads a JWT's claims **without** checking its signature, so the caller can look up the
    /// secret they point at (a user's or repo's hash) and then [`Peeked::verify`] it.
    /// Rejects anything that is not an HS256 JWT of one of the `allowed` types.
    pub fn peek<'a>(raw: &'a str, allowed: &[TokenType]) -> Result<Peeked<'a>, TokenError> {
        Self::decode(raw, allowed).map(Peeked)
    }

    /// Parses and verifies a JWT: HS256 only, `type` among `allowed`, signature checked with
    /// `secret`, `exp`/`nbf` checked against `now`.
    pub fn verify(raw: &str, allowed: &[TokenType], now: i64, secret: &[u8]) -> Result<Token, TokenError> {
        Self::peek(raw, allowed)?.verify(now, secret)
    }

    /// Splits and decodes a JWT.
    fn decode<'a>(raw: &'a str, allowed: &[TokenType]) -> Result<Decoded<'a>, TokenError> {
        let mut parts = raw.split('.');
        let (Some(header), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = decode_json(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::Algorithm);
        }
        let payload = match decode_json(body)? {
            Value::Object(map) => map,
            _ => return Err(TokenError::Malformed),
        };
        let token = Self::from_claims(&payload, allowed)?;
        let signature = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
        let (signing_input, _) = raw.rsplit_once('.').ok_or(TokenError::Malformed)?;
        Ok(Decoded { token, payload, signing_input, signature })
    }

    fn from_claims(payload: &Map<String, Value>, allowed: &[TokenType]) -> Result<Token, TokenError> {
        let kind = payload
            .get("type")
            .and_then(Value::as_str)
            .and_then(TokenType::parse)
            .filter(|k| allowed.contains(k))
            .ok_or(TokenError::WrongType)?;
        let claims = payload
            .iter()
            .filter(|(k, _)| !REGISTERED.contains(&k.as_str()) && k.as_str() != "type")
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect();
        let expires = match payload.get("exp") {
            None => None,
            Some(v) => Some(v.as_i64().ok_or(TokenError::Malformed)?),
        };
        Ok(Token { kind, claims, expires })
    }
}

/// A JWT taken apart, before its signature is checked.
#[derive(Debug)]
struct Decoded<'a> {
    token: Token,
    payload: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// A decoded JWT whose signature is not checked yet.
#[derive(Debug)]
pub struct Peeked<'a>(Decoded<'a>);

impl Peeked<'_> {
    /// A custom claim, unverified.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.0.token.claim(name)
    }

    /// The token, once its signature matches `secret` and it is valid at `now`.
    pub fn verify(self, now: i64, secret: &[u8]) -> Result<Token, TokenError> {
        let Decoded { token, payload, signing_input, signature } = self.0;
        hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;
        let expired = token.expires.is_some_and(|exp| now >= exp);
        let not_yet = payload.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| now < nbf);
        if expired || not_yet {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }
}

/// Registered JWT claims: validated, never copied into the custom claims.
const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "aud", "jti"];

fn decode_json(part: &str) -> Result<Value, TokenError> {
    let bytes = B64.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"user-hash";

    fn user_token() -> Token {
        Token::new(TokenType::User, [(claims::USER_ID, "7".to_owned())])
    }

    fn parse(raw: &str, allowed: &[TokenType], now: i64) -> Result<Token, TokenError> {
        Token::verify(raw, allowed, now, SECRET)
    }

    #[test]
    fn a_signed_token_parses_back() {
        let raw = user_token().sign(SECRET);
        assert_eq!(parse(&raw, &[TokenType::User], 0), Ok(user_token()));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let raw = user_token().sign(b"old-hash");
        assert_eq!(parse(&raw, &[TokenType::User], 0), Err(TokenError::Signature));
    }

    #[test]
    fn a_token_of_a_type_not_allowed_is_refused() {
        let raw = Token::new(TokenType::Csrf, [(claims::USER_ID, "7".to_owned())]).sign(SECRET);
        assert_eq!(parse(&raw, &[TokenType::User, TokenType::Sess], 0), Err(TokenError::WrongType));
    }

    #[test]
    fn an_expired_session_is_refused() {
        let raw =
            Token::new(TokenType::Sess, [(claims::USER_ID, "7".to_owned())]).expiring_at(100).sign(SECRET);
        assert!(parse(&raw, &[TokenType::Sess], 99).is_ok());
        assert_eq!(parse(&raw, &[TokenType::Sess], 100), Err(TokenError::Expired));
    }

    #[test]
    fn peeking_reads_claims_without_the_secret() {
        let hook = Token::new(TokenType::Hook, [(claims::REPO_FORGE_REMOTE_ID, "r1".to_owned())]);
        let raw = hook.sign(b"repo-hash");
        let peeked = Token::peek(&raw, &[TokenType::Hook]).unwrap();
        assert_eq!(peeked.claim(claims::REPO_FORGE_REMOTE_ID), Some("r1"));
        assert_eq!(peeked.verify(0, b"repo-hash"), Ok(hook));
    }

    #[test]
    fn other_algorithms_and_garbage_are_refused() {
        let raw = user_token().sign(SECRET);
        let (_, rest) = raw.split_once('.').unwrap();
        let none_alg = format!("{}.{rest}", B64.encode(br#"{"alg":"none"}"#));
        assert_eq!(parse(&none_alg, &[TokenType::User], 0), Err(TokenError::Algorithm));
        for junk in ["", "a.b", "a.b.c.d", "!!.??.==", &format!("{raw}x")] {
            assert!(parse(junk, &[TokenType::User], 0).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let raw = user_token().sign(SECRET);
        let parts: Vec<&str> = raw.split('.').collect();
        let forged = B64.encode(br#"{"type":"user","user-id":"7","admin":"true"}"#);
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(parse(&tampered, &[TokenType::User], 0), Err(TokenError::Signature));
    }

    #[test]
    fn numeric_custom_claims_are_not_claims() {
        let header = B64.encode(br#"{"alg":"HS256"}"#);
        let body = B64.encode(br#"{"type":"user","user-id":7}"#);
        let input = format!("{header}.{body}");
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
        let raw = format!("{input}.{}", B64.encode(tag.as_ref()));
        let token = parse(&raw, &[TokenType::User], 0).unwrap();
        assert_eq!(token.claim(claims::USER_ID), None);
    }
}
