//! Server settings in SQL: a key-value table written with update-or-insert, which needs no
//! dialect-specific upsert.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::schema::server_settings;
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, retry_on_conflict};
use crate::ports::store::{SettingStore, StoreError};

impl SqlStore {
    /// Updates the setting, or inserts it when there is none.
    async fn update_or_insert_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        with_conn!(self, write, "setting", |c, _| {
            write_transaction(c, async |c| {
                let stored = server_settings::table.find(key);
                if diesel::update(stored).set(server_settings::value.eq(value)).execute(c).await? == 0 {
                    let row = (server_settings::key.eq(key), server_settings::value.eq(value));
                    diesel::insert_into(server_settings::table).values(row).execute(c).await?;
                }
                Ok(())
            })
            .await
        })
    }
}

#[async_trait::async_trait]
impl SettingStore for SqlStore {
    async fn get_setting(&self, key: &str) -> Result<String, StoreError> {
        with_conn!(self, read, "setting", |c, _| {
            server_settings::table.find(key).select(server_settings::value).first(c).await
        })
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        retry_on_conflict(|| self.update_or_insert_setting(key, value)).await
    }

    async fn add_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        with_conn!(self, write, "setting", |c, _| {
            let row = (server_settings::key.eq(key), server_settings::value.eq(value));
            diesel::insert_into(server_settings::table).values(row).execute(c).await.map(|_| ())
        })
    }
}
