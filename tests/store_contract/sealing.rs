//! Credentials sealed at rest: what the tables really hold with a cipher, and turning
//! encryption on and off on a database that already has credentials. These behaviours take the
//! [`TestDb`], to read rows past the store and to open further stores on it.

use std::sync::Arc;

use nuthatch::adapters::crypto::aes_gcm::AesGcmCipher;
use nuthatch::app::encryption::{self, KEY_CHECK_SETTING};
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::registry::Registry;
use nuthatch::domain::secret::{Scope, Secret};
use nuthatch::ports::cipher::SecretCipher;
use nuthatch::ports::store::{Page, RegistryStore, SecretStore, SettingStore, StoreError};

use crate::store_contract::db::TestDb;

fn cipher(key: &str) -> Arc<dyn SecretCipher> {
    Arc::new(AesGcmCipher::new(key.as_bytes()))
}

fn secret(name: &str, value: &str) -> Secret {
    Secret { name: name.into(), value: value.into(), events: vec![WebhookEvent::Push], ..Secret::default() }
}

fn registry(address: &str, password: &str) -> Registry {
    Registry {
        address: address.into(),
        username: "ci".into(),
        password: password.into(),
        ..Registry::default()
    }
}

/// No stored value contains any of `plaintexts`.
fn none_contains(stored: &[String], plaintexts: &[&str]) {
    for value in stored {
        for plaintext in plaintexts {
            assert!(!value.contains(plaintext), "{value:?} holds {plaintext:?} in plaintext");
        }
    }
}

pub async fn sealed_credentials_never_reach_the_table_in_plaintext(db: &TestDb) {
    let store = db.connect_again().await.with_cipher(cipher("key one"));
    let created = store.create_secret(&secret("token", "s3cr3t-value")).await.unwrap();
    store.create_registry(&registry("registry.example", "hunter2")).await.unwrap();

    let stored = db.column("secrets", "value").await;
    none_contains(&stored, &["s3cr3t"]);
    none_contains(&db.column("registries", "password").await, &["hunter2"]);
    assert_eq!(cipher("key one").open(&stored[0], &created.id.to_string()).unwrap(), "s3cr3t-value");
    assert!(cipher("key one").open(&stored[0], &(created.id + 1).to_string()).is_err(), "bound to its row");

    assert_eq!(store.find_secret(Scope::Global, "token").await.unwrap(), created);
    assert_eq!(store.list_secrets(Scope::Global, Page::default()).await.unwrap(), vec![created.clone()]);
    assert_eq!(store.find_registry(Scope::Global, "registry.example").await.unwrap().password, "hunter2");
    assert_eq!(store.list_registries(Scope::Global, Page::default()).await.unwrap()[0].password, "hunter2");

    let rotated = Secret { value: "rotated-value".into(), ..created.clone() };
    store.update_secret(&rotated).await.unwrap();
    none_contains(&db.column("secrets", "value").await, &["rotated"]);
    assert_eq!(store.find_secret(Scope::Global, "token").await.unwrap().value, "rotated-value");

    let other_key = db.connect_again().await.with_cipher(cipher("key two"));
    assert!(matches!(other_key.find_secret(Scope::Global, "token").await, Err(StoreError::Unknown(_))));
    assert!(matches!(
        other_key.list_registries(Scope::Global, Page::default()).await,
        Err(StoreError::Unknown(_))
    ));
}

pub async fn enabling_encrypts_existing_credentials_and_disabling_decrypts_them(db: &TestDb) {
    let plain = db.store();
    plain.create_secret(&secret("alpha", "alpha-value")).await.unwrap();
    plain.create_secret(&secret("beta", "beta-value")).await.unwrap();
    plain.create_registry(&registry("registry.example", "hunter2")).await.unwrap();

    let enabled = encryption::start(plain, Some(cipher("key")), false).await.unwrap();
    let sealed = db.column("secrets", "value").await;
    none_contains(&sealed, &["alpha-value", "beta-value"]);
    none_contains(&db.column("registries", "password").await, &["hunter2"]);
    plain.get_setting(KEY_CHECK_SETTING).await.expect("the key check value is stored");
    let store = db.connect_again().await.with_cipher(enabled.expect("credentials are sealed from now on"));
    assert_eq!(store.find_secret(Scope::Global, "beta").await.unwrap().value, "beta-value");
    assert_eq!(store.find_registry(Scope::Global, "registry.example").await.unwrap().password, "hunter2");

    let again = encryption::start(plain, Some(cipher("key")), false).await.unwrap();
    assert!(again.is_some());
    assert_eq!(db.column("secrets", "value").await, sealed, "a second start rewrites nothing");

    let disabled = encryption::start(plain, Some(cipher("key")), true).await.unwrap();
    assert!(disabled.is_none(), "plaintext from now on");
    assert_eq!(db.column("secrets", "value").await, ["alpha-value", "beta-value"]);
    assert_eq!(db.column("registries", "password").await, ["hunter2"]);
    assert!(matches!(plain.get_setting(KEY_CHECK_SETTING).await, Err(StoreError::NotFound(_))));
    assert!(encryption::start(plain, None, false).await.unwrap().is_none(), "the key is no longer needed");
}

pub async fn a_wrong_or_missing_key_is_refused_and_changes_nothing(db: &TestDb) {
    let store = db.store();
    store.create_secret(&secret("token", "s3cr3t-value")).await.unwrap();
    encryption::start(store, Some(cipher("right key")), false).await.unwrap();
    let sealed = db.column("secrets", "value").await;

    for disable in [false, true] {
        let wrong = encryption::start(store, Some(cipher("wrong key")), disable).await.unwrap_err();
        assert!(format!("{wrong:#}").contains("is not the key the secrets"), "{wrong:#}");
        let missing = encryption::start(store, None, disable).await.unwrap_err();
        assert!(format!("{missing:#}").contains("WOODPECKER_ENCRYPTION_KEY is not set"), "{missing:#}");
    }
    assert_eq!(db.column("secrets", "value").await, sealed);
}

pub async fn servers_starting_together_seal_each_credential_once(db: &TestDb) {
    db.store().create_secret(&secret("token", "s3cr3t-value")).await.unwrap();
    db.store().create_registry(&registry("registry.example", "hunter2")).await.unwrap();
    let mut servers = Vec::new();
    for _ in 0..4 {
        servers.push(db.connect_again().await);
    }

    let starts = servers.iter().map(|server| encryption::start(server, Some(cipher("key")), false));
    for started in futures_util::future::join_all(starts).await {
        assert!(started.expect("every server starts").is_some());
    }
    let sealed = db.connect_again().await.with_cipher(cipher("key"));
    assert_eq!(
        sealed.find_secret(Scope::Global, "token").await.unwrap().value,
        "s3cr3t-value",
        "sealed once"
    );
    assert_eq!(sealed.find_registry(Scope::Global, "registry.example").await.unwrap().password, "hunter2");

    let stops = servers.iter().map(|server| encryption::start(server, Some(cipher("key")), true));
    for stopped in futures_util::future::join_all(stops).await {
        assert!(stopped.expect("every server starts").is_none());
    }
    assert_eq!(db.column("secrets", "value").await, ["s3cr3t-value"], "opened once");
    assert_eq!(db.column("registries", "password").await, ["hunter2"]);
}
