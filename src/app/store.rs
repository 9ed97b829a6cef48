//! Picks and opens the store adapter the configuration names.

use std::sync::Arc;

use anyhow::Context;

use crate::adapters::crypto::aes_gcm::AesGcmCipher;
use crate::adapters::sql::{Driver, SqlStore};
use crate::app::config::{DatabaseConfig, EncryptionConfig};
use crate::app::encryption;
use crate::ports::cipher::SecretCipher;

/// Connects to the configured database and brings its schema up to date.
pub async fn open(config: &DatabaseConfig) -> anyhow::Result<Arc<SqlStore>> {
    Ok(Arc::new(migrated(config).await?))
}

/// The store a server runs on: connected, migrated, and with its credentials encrypted or
/// decrypted as the encryption settings say (see [`encryption`]).
///
/// # Errors
/// As [`open`], and when the encryption key is missing, wrong or unsupported.
pub async fn open_for_server(
    config: &DatabaseConfig,
    encryption: &EncryptionConfig,
) -> anyhow::Result<Arc<SqlStore>> {
    let cipher =
        encryption.key()?.map(|key| Arc::new(AesGcmCipher::new(key.as_bytes())) as Arc<dyn SecretCipher>);
    let store = migrated(config).await?;
    let store = match encryption::start(&store, cipher, encryption.encryption_disable).await? {
        Some(cipher) => store.with_cipher(cipher),
        None => store,
    };
    Ok(Arc::new(store))
}

async fn migrated(config: &DatabaseConfig) -> anyhow::Result<SqlStore> {
    let store = connect(config).await?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// Connects to the configured database without migrating.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<SqlStore> {
    let driver: Driver = config.database_driver.parse()?;
    let datasource = config.datasource()?;
    let store = SqlStore::connect(driver, &datasource, config.database_max_connections).await?;
    Ok(store)
}
