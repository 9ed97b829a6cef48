//! Picks and opens the store adapter the configuration names.

use std::sync::Arc;

use anyhow::Context;

use crate::adapters::sql::{Driver, SqlStore};
use crate::app::config::DatabaseConfig;

/// Connects to the configured database and brings its schema up to date.
pub async fn open(config: &DatabaseConfig) -> anyhow::Result<Arc<SqlStore>> {
    let store = connect(config).await?;
    store.migrate().await.context("database migration failed")?;
    Ok(Arc::new(store))
}

/// Connects to the configured database without migrating.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<SqlStore> {
    let driver: Driver = config.database_driver.parse()?;
    let datasource = config.datasource()?;
    let store = SqlStore::connect(driver, &datasource, config.database_max_connections).await?;
    Ok(store)
}
