//! Agents' access tokens: short-lived HS256 JWTs naming the agent, sent as metadata `token` on
//! every call after `Auth` (engine.md §1.2).
//!
//! Released agents (v3.14–v3.16) refresh their token only every 30 minutes and treat a refused
//! token as a permanent error, so a token must stay valid for an hour and across server
//! restarts, and every server of a cluster must accept every other's tokens: the signing secret
//! is `WOODPECKER_GRPC_SECRET` when set, else a random one kept in the store's server settings.

use std::sync::Arc;

use crate::app::agent_rpc::RpcError;
use crate::app::identity::random_secret;
use crate::domain::setting::keys;
use crate::domain::token::{Token, TokenType, claims};
use crate::ports::clock::Clock;
use crate::ports::store::{SettingStore, StoreError};

/// How long an access token is valid, in seconds.
pub const ACCESS_TOKEN_TTL: i64 = 3600;

/// Issues and checks access tokens.
#[derive(Clone)]
pub struct AccessTokens {
    secret: Arc<[u8]>,
    clock: Arc<dyn Clock>,
}

impl AccessTokens {
    /// Tokens signed with this secret.
    pub fn new(secret: &[u8], clock: Arc<dyn Clock>) -> Self {
        Self { secret: Arc::from(secret), clock }
    }

    /// Tokens signed with `configured` (`WOODPECKER_GRPC_SECRET`) when it is set, else with the
    /// secret stored in the server settings, created on first use.
    ///
    /// # Errors
    /// When the store cannot be read or written.
    pub async fn load(
        settings: &dyn SettingStore,
        configured: Option<&str>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        if let Some(secret) = configured.filter(|s| !s.is_empty()) {
            return Ok(Self::new(secret.as_bytes(), clock));
        }
        let secret = match settings.get_setting(keys::JWT_SECRET).await {
            Ok(secret) => secret,
            Err(StoreError::NotFound(_)) => {
                settings.set_setting(keys::JWT_SECRET, &random_secret()).await?;
                // Read back what is stored: of two servers starting at once, the last write wins
                // and both then sign with it.
                settings.get_setting(keys::JWT_SECRET).await?
            }
            Err(error) => return Err(error),
        };
        Ok(Self::new(secret.as_bytes(), clock))
    }

    /// A fresh token for the agent.
    pub fn issue(&self, agent_id: i64) -> String {
        Token::new(TokenType::Agent, [(claims::AGENT_ID, agent_id.to_string())])
            .expiring_at(self.clock.now() + ACCESS_TOKEN_TTL)
            .sign(&self.secret)
    }

    /// The agent a token was issued to.
    ///
    /// # Errors
    /// [`RpcError::Unauthenticated`] when the token is malformed, forged or expired.
    pub fn verify(&self, raw: &str) -> Result<i64, RpcError> {
        let token = Token::verify(raw, &[TokenType::Agent], self.clock.now(), &self.secret)
            .map_err(|e| RpcError::Unauthenticated(format!("access token is invalid: {e}")))?;
        token
            .claim(claims::AGENT_ID)
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| RpcError::Unauthenticated("access token names no agent".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct FixedClock(AtomicI64);

    impl Clock for FixedClock {
        fn now(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn a_token_names_its_agent_for_an_hour() {
        let clock = Arc::new(FixedClock(AtomicI64::new(1000)));
        let tokens = AccessTokens::new(b"secret", clock.clone());
        let raw = tokens.issue(7);
        assert_eq!(tokens.verify(&raw).unwrap(), 7);
        clock.0.store(1000 + ACCESS_TOKEN_TTL - 1, Ordering::SeqCst);
        assert_eq!(tokens.verify(&raw).unwrap(), 7);
        clock.0.store(1000 + ACCESS_TOKEN_TTL, Ordering::SeqCst);
        assert!(matches!(tokens.verify(&raw), Err(RpcError::Unauthenticated(_))));
    }

    #[test]
    fn tokens_of_another_secret_or_kind_are_refused() {
        let clock = Arc::new(FixedClock(AtomicI64::new(0)));
        let other = AccessTokens::new(b"other", clock.clone()).issue(7);
        let tokens = AccessTokens::new(b"secret", clock);
        assert!(tokens.verify(&other).is_err());
        let user = Token::new(TokenType::User, [(claims::AGENT_ID, "7".to_owned())]).sign(b"secret");
        assert!(tokens.verify(&user).is_err());
        assert!(tokens.verify("garbage").is_err());
    }
}
