//! Credentials sealed at rest: with a cipher set, secret values and registry passwords are
//! stored sealed and bound to their row's id (upstream's design: the id, in decimal, is the
//! associated data), so a sealed value copied onto another row does not open. A new row gets
//! its id from the insert, so it is inserted with an empty value and sealed by an update in the
//! same transaction; plaintext never reaches the table.

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::SqlStore;
use crate::adapters::sql::error::query_error;
use crate::adapters::sql::schema::{registries, secrets, server_settings};
use crate::adapters::sql::transaction::write_transaction;
use crate::ports::cipher::{CipherError, SecretCipher};
use crate::ports::store::{CredentialSealing, Reseal, StoreError};

/// A credential that could not be sealed or opened, naming its record.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the value of {entity} {id}: {source}")]
struct CredentialError {
    action: &'static str,
    entity: &'static str,
    id: i64,
    source: CipherError,
}

impl SqlStore {
    /// This store, sealing every credential it writes with `cipher` and opening every one it
    /// reads (the stored values must already be sealed with it: see [`CredentialSealing`]).
    pub fn with_cipher(mut self, cipher: Arc<dyn SecretCipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Whether credentials are sealed: new rows are then inserted empty and sealed afterwards.
    pub(crate) fn seals(&self) -> bool {
        self.cipher.is_some()
    }

    /// `value` as it is stored in the row `id` of `entity`; fails inside a query, so the
    /// transaction writing it rolls back.
    pub(crate) fn seal(&self, entity: &'static str, id: i64, value: &str) -> diesel::QueryResult<String> {
        seal_with(self.cipher.as_deref(), entity, id, value)
    }

    /// The plaintext of the stored `value` of the row `id` of `entity`.
    pub(crate) fn unseal(&self, entity: &'static str, id: i64, value: String) -> Result<String, StoreError> {
        open_with(self.cipher.as_deref(), entity, id, value).map_err(|e| query_error(self.driver, entity, e))
    }
}

fn seal_with(
    cipher: Option<&dyn SecretCipher>,
    entity: &'static str,
    id: i64,
    value: &str,
) -> diesel::QueryResult<String> {
    match cipher {
        None => Ok(value.to_owned()),
        Some(cipher) => cipher.seal(value, &id.to_string()).map_err(|source| {
            diesel::result::Error::SerializationError(Box::new(CredentialError {
                action: "encrypt",
                entity,
                id,
                source,
            }))
        }),
    }
}

fn open_with(
    cipher: Option<&dyn SecretCipher>,
    entity: &'static str,
    id: i64,
    value: String,
) -> diesel::QueryResult<String> {
    match cipher {
        None => Ok(value),
        Some(cipher) => cipher.open(&value, &id.to_string()).map_err(|source| {
            diesel::result::Error::DeserializationError(Box::new(CredentialError {
                action: "decrypt",
                entity,
                id,
                source,
            }))
        }),
    }
}

impl Reseal<'_> {
    /// A stored value of the row `id` of `entity`, rewritten.
    fn apply(&self, entity: &'static str, id: i64, value: String) -> diesel::QueryResult<String> {
        let plaintext = open_with(self.from, entity, id, value)?;
        seal_with(self.to, entity, id, &plaintext)
    }
}

#[async_trait::async_trait]
impl CredentialSealing for SqlStore {
    async fn reseal_credentials(&self, reseal: Reseal<'_>) -> Result<u64, StoreError> {
        let reseal = &reseal;
        with_conn!(self, write, "credential", |c, _| {
            write_transaction(c, async |c| {
                // Claim the change first. Of several servers starting at once, only the one that
                // finds the setting as it read it gets past here: the others find it gone
                // (nothing changed, `None`) or fail on its unique key (rolled back).
                let setting = server_settings::table.find(reseal.key_check_setting);
                if let Some(expected) = reseal.expected_check {
                    let claimed = diesel::delete(setting.filter(server_settings::value.eq(expected)))
                        .execute(c)
                        .await?;
                    if claimed == 0 {
                        return Ok(None);
                    }
                }
                if let Some(check) = &reseal.key_check {
                    let row =
                        (server_settings::key.eq(reseal.key_check_setting), server_settings::value.eq(check));
                    diesel::insert_into(server_settings::table).values(row).execute(c).await?;
                }
                let mut rewritten = 0;
                let stored: Vec<(i64, String)> =
                    secrets::table.select((secrets::id, secrets::value)).load(c).await?;
                for (id, value) in stored {
                    let value = reseal.apply("secret", id, value)?;
                    diesel::update(secrets::table.find(id)).set(secrets::value.eq(value)).execute(c).await?;
                    rewritten += 1;
                }
                let stored: Vec<(i64, String)> =
                    registries::table.select((registries::id, registries::password)).load(c).await?;
                for (id, password) in stored {
                    let password = reseal.apply("registry", id, password)?;
                    diesel::update(registries::table.find(id))
                        .set(registries::password.eq(password))
                        .execute(c)
                        .await?;
                    rewritten += 1;
                }
                Ok(Some(rewritten))
            })
            .await
        })?
        .ok_or(StoreError::Conflict("encryption key check"))
    }
}
