//! Local accounts: the users of the local forge, kept in `accounts.json` in the forge root with
//! argon2id password hashes (PHC strings).
//!
//! The file is small and rarely written, so every operation reads it afresh; writes go to a
//! temporary file that is renamed over the old one, under a mutex, so readers never see half a
//! file and concurrent writers never lose each other's changes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::domain::user::validate_login;
use crate::domain::validation::ValidationError;

/// The file name, in the forge root.
pub(super) const ACCOUNTS_FILE: &str = "accounts.json";

/// A local account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAccount {
    /// Stable id: the user's `forge_remote_id`.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Email address.
    pub email: String,
    /// Server administrator.
    pub admin: bool,
}

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The login is not a valid login.
    #[error(transparent)]
    InvalidLogin(#[from] ValidationError),
    /// The password is empty.
    #[error("the password must not be empty")]
    EmptyPassword,
    /// Another account has this login.
    #[error("account '{0}' already exists")]
    Exists(String),
    /// No account has this login.
    #[error("account '{0}' not found")]
    NotFound(String),
    /// Reading or writing the accounts file, or hashing, failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// One account as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccountRecord {
    id: i64,
    email: String,
    password_hash: String,
    admin: bool,
}

impl AccountRecord {
    fn account(&self, login: &str) -> LocalAccount {
        LocalAccount { id: self.id, login: login.to_owned(), email: self.email.clone(), admin: self.admin }
    }
}

/// The accounts file and the lock its writers take.
pub(super) struct AccountBook {
    path: PathBuf,
    write_lock: Mutex<()>,
}

impl AccountBook {
    pub(super) fn new(path: PathBuf) -> Self {
        Self { path, write_lock: Mutex::new(()) }
    }

    /// Creates an account with a fresh id.
    pub(super) async fn create(
        &self,
        login: &str,
        email: &str,
        password: &str,
        admin: bool,
    ) -> Result<LocalAccount, AccountError> {
        validate_login(login)?;
        let password_hash = hash_password(password).await?;
        let _guard = self.write_lock.lock().await;
        let mut records = self.load().await?;
        if records.keys().any(|existing| existing.eq_ignore_ascii_case(login)) {
            return Err(AccountError::Exists(login.to_owned()));
        }
        let id = records.values().map(|r| r.id).max().unwrap_or(0) + 1;
        let record = AccountRecord { id, email: email.to_owned(), password_hash, admin };
        let account = record.account(login);
        records.insert(login.to_owned(), record);
        self.save(&records).await?;
        Ok(account)
    }

    /// Replaces an account's password.
    pub(super) async fn set_password(&self, login: &str, password: &str) -> Result<(), AccountError> {
        let password_hash = hash_password(password).await?;
        let _guard = self.write_lock.lock().await;
        let mut records = self.load().await?;
        let record = records.get_mut(login).ok_or_else(|| AccountError::NotFound(login.to_owned()))?;
        record.password_hash = password_hash;
        self.save(&records).await?;
        Ok(())
    }

    /// The account whose login and password these are, or `None`.
    ///
    /// Unknown logins cost as much as wrong passwords, so timing does not tell which logins exist.
    pub(super) async fn verify(&self, login: &str, password: &str) -> anyhow::Result<Option<LocalAccount>> {
        let record = self.load().await?.remove(login);
        let hash = match &record {
            Some(r) => r.password_hash.clone(),
            None => decoy_hash().await?,
        };
        let matches = verify_password(password, hash).await?;
        Ok(record.filter(|_| matches).map(|r| r.account(login)))
    }

    /// The account with this login.
    pub(super) async fn get(&self, login: &str) -> anyhow::Result<Option<LocalAccount>> {
        Ok(self.load().await?.get(login).map(|r| r.account(login)))
    }

    /// The login of the account with this email address (compared case-insensitively).
    pub(super) async fn login_by_email(&self, email: &str) -> anyhow::Result<Option<String>> {
        if email.is_empty() {
            return Ok(None);
        }
        Ok(self
            .load()
            .await?
            .into_iter()
            .find(|(_, r)| r.email.eq_ignore_ascii_case(email))
            .map(|(login, _)| login))
    }

    async fn load(&self) -> anyhow::Result<BTreeMap<String, AccountRecord>> {
        match tokio::fs::read(&self.path).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a valid accounts file", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        }
    }

    async fn save(&self, records: &BTreeMap<String, AccountRecord>) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(records).context("cannot encode the accounts")?;
        super::atomic_write(&self.path, &json, 0o600).await
    }
}

async fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.is_empty() {
        return Err(AccountError::EmptyPassword);
    }
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let hash = tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()))
        .await
        .context("password hashing panicked")?
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(hash.to_string())
}

async fn verify_password(password: &str, hash: String) -> anyhow::Result<bool> {
    let password = password.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str())
    })
    .await
    .context("password verification panicked")?;
    match result {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("stored password hash is unusable: {e}")),
    }
}

/// A hash of no one's password, checked against when the login is unknown.
async fn decoy_hash() -> anyhow::Result<String> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("nuthatch-decoy").await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::forge::local::TestDir;

    fn book() -> (TestDir, AccountBook) {
        let dir = TestDir::new("accounts");
        let book = AccountBook::new(dir.0.join(ACCOUNTS_FILE));
        (dir, book)
    }

    #[tokio::test]
    async fn a_created_account_logs_in_with_its_password_only() {
        let (_dir, book) = book();
        let alice = book.create("alice", "alice@example.com", "s3cret", true).await.unwrap();
        assert_eq!((alice.id, alice.admin), (1, true));
        assert_eq!(book.verify("alice", "s3cret").await.unwrap(), Some(alice));
        assert_eq!(book.verify("alice", "wrong").await.unwrap(), None);
        assert_eq!(book.verify("nobody", "s3cret").await.unwrap(), None);
        assert_eq!(book.login_by_email("Alice@Example.com").await.unwrap().as_deref(), Some("alice"));
        assert_eq!(book.login_by_email("").await.unwrap(), None);
    }

    #[tokio::test]
    async fn passwords_are_stored_as_argon2id_phc_strings() {
        let (dir, book) = book();
        book.create("bob", "", "hunter2", false).await.unwrap();
        let file = std::fs::read_to_string(dir.0.join(ACCOUNTS_FILE)).unwrap();
        assert!(file.contains("$argon2id$"), "{file}");
        assert!(!file.contains("hunter2"));
    }

    #[tokio::test]
    async fn a_new_password_replaces_the_old_one() {
        let (_dir, book) = book();
        book.create("carol", "", "old", false).await.unwrap();
        book.set_password("carol", "new").await.unwrap();
        assert!(book.verify("carol", "old").await.unwrap().is_none());
        assert!(book.verify("carol", "new").await.unwrap().is_some());
        assert!(matches!(book.set_password("dave", "x").await, Err(AccountError::NotFound(_))));
    }

    #[tokio::test]
    async fn logins_are_unique_valid_and_need_a_password() {
        let (_dir, book) = book();
        book.create("erin", "", "pw", false).await.unwrap();
        assert!(matches!(book.create("Erin", "", "pw", false).await, Err(AccountError::Exists(_))));
        assert!(matches!(
            book.create("bad/login", "", "pw", false).await,
            Err(AccountError::InvalidLogin(_))
        ));
        assert!(matches!(book.create("frank", "", "", false).await, Err(AccountError::EmptyPassword)));
        assert_eq!(book.create("frank", "", "pw", false).await.unwrap().id, 2);
    }
}
