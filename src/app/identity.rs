//! Identity use cases: logging in through the forge, minting the tokens a user authenticates
//! with, and revoking them all at once.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom, SystemRandom};

use crate::domain::org::Org;
use crate::domain::token::{Token, TokenType, claims};
use crate::domain::user::User;
use crate::ports::clock::Clock;
use crate::ports::forge::{Forge, ForgeError, LoginRequest};
use crate::ports::store::{Store, StoreError};

/// Why an identity operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The forge refused the credentials.
    #[error("invalid login or password")]
    InvalidCredentials,
    /// The forge failed.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Settings of the identity use cases.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// Store id of the forge users log in through.
    pub forge_id: i64,
    /// Logins that are server admins (`WOODPECKER_ADMIN`), compared case-insensitively.
    pub admins: Vec<String>,
    /// How long a browser session lasts, in seconds.
    pub session_ttl: i64,
}

/// Login and tokens.
#[derive(Clone)]
pub struct Identity {
    store: Arc<dyn Store>,
    forge: Arc<dyn Forge>,
    clock: Arc<dyn Clock>,
    settings: IdentitySettings,
}

/// A fresh random secret: 32 bytes, base64url. Used for user and repo hashes and passwords.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the OS random source works");
    B64.encode(bytes)
}

impl Identity {
    /// The use cases over these adapters.
    pub fn new(
        store: Arc<dyn Store>,
        forge: Arc<dyn Forge>,
        clock: Arc<dyn Clock>,
        settings: IdentitySettings,
    ) -> Self {
        Self { store, forge, clock, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &IdentitySettings {
        &self.settings
    }

    /// Whether `login` is named by `WOODPECKER_ADMIN`.
    pub fn is_env_admin(&self, login: &str) -> bool {
        self.settings.admins.iter().any(|a| a.eq_ignore_ascii_case(login))
    }

    /// Checks a login and password with the forge, then finds or creates the user, keeping
    /// email and admin flag in step with the forge and `WOODPECKER_ADMIN` (admins are promoted
    /// at every login, never demoted).
    pub async fn login(&self, login: &str, password: &str) -> Result<User, IdentityError> {
        let request = LoginRequest::Password { login: login.to_owned(), password: password.to_owned() };
        let remote = match self.forge.login(request).await {
            Ok(user) => user,
            Err(ForgeError::Unauthorized(_) | ForgeError::NotFound(_)) => {
                return Err(IdentityError::InvalidCredentials);
            }
            Err(e) => return Err(e.into()),
        };
        self.upsert(remote).await
    }

    /// Finds the forge user in the store, or creates it with its own namespace org.
    pub async fn upsert(&self, remote: User) -> Result<User, IdentityError> {
        let forge_id = self.settings.forge_id;
        let admin = remote.admin || self.is_env_admin(&remote.login);
        match self.store.find_user_by_login(forge_id, &remote.login).await {
            Ok(mut user) => {
                user.email = remote.email;
                user.forge_remote_id = remote.forge_remote_id;
                user.admin |= admin;
                self.store.update_user(&user).await?;
                Ok(user)
            }
            Err(StoreError::NotFound(_)) => {
                let org = self.user_org(&remote.login).await?;
                let user = User {
                    forge_id,
                    org_id: org.id,
                    admin,
                    hash: random_secret(),
                    avatar_url: remote.avatar_url.clone(),
                    ..remote
                };
                Ok(self.store.create_user(&user).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The org that stands for a user's own namespace, created when missing.
    async fn user_org(&self, login: &str) -> Result<Org, StoreError> {
        let forge_id = self.settings.forge_id;
        match self.store.find_org_by_name(forge_id, login).await {
            Ok(org) => Ok(org),
            Err(StoreError::NotFound(_)) => {
                let org = Org { forge_id, name: login.to_owned(), is_user: true, ..Org::default() };
                self.store.create_org(&org).await
            }
            Err(e) => Err(e),
        }
    }

    /// A personal access token: valid until the user's hash rotates.
    pub fn personal_token(&self, user: &User) -> String {
        Token::new(TokenType::User, [(claims::USER_ID, user.id.to_string())]).sign(user.hash.as_bytes())
    }

    /// A browser session token, expiring after the session lifetime.
    pub fn session_token(&self, user: &User) -> String {
        Token::new(TokenType::Sess, [(claims::USER_ID, user.id.to_string())])
            .expiring_at(self.clock.now() + self.settings.session_ttl)
            .sign(user.hash.as_bytes())
    }

    /// A CSRF token for the user's browser session.
    pub fn csrf_token(&self, user: &User) -> String {
        Token::new(TokenType::Csrf, [(claims::USER_ID, user.id.to_string())]).sign(user.hash.as_bytes())
    }

    /// Rotates the user's hash, which revokes every token and session they had, and returns a
    /// new personal access token.
    pub async fn rotate(&self, user: &User) -> Result<String, IdentityError> {
        let mut user = user.clone();
        user.hash = random_secret();
        self.store.update_user(&user).await?;
        Ok(self.personal_token(&user))
    }
}
