//! Write transactions that hold the write lock from their start on SQLite.
//!
//! SQLite's default `BEGIN` is deferred: a transaction that reads first asks for the write lock
//! at its first write, and if another connection (another server or store on the same file)
//! committed since that read, SQLite answers "database is locked" at once (`SQLITE_BUSY_SNAPSHOT`),
//! without waiting for `busy_timeout`. `BEGIN IMMEDIATE` takes the lock up front, so a writer
//! waits its turn instead. PostgreSQL and MySQL keep their usual `BEGIN`.

use diesel::QueryResult;
use diesel::connection::AnsiTransactionManager;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, TransactionManager};

use crate::adapters::sql::SqliteConn;

/// A connection that can open a transaction meant to write: with the backend's usual `BEGIN`
/// unless it says otherwise.
pub(super) trait BeginWrite: AsyncConnection {
    async fn begin_write(&mut self) -> QueryResult<()> {
        Self::TransactionManager::begin_transaction(self).await
    }
}

impl BeginWrite for AsyncPgConnection {}

impl BeginWrite for AsyncMysqlConnection {}

impl BeginWrite for SqliteConn {
    async fn begin_write(&mut self) -> QueryResult<()> {
        self.spawn_blocking(|c| AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")).await
    }
}

/// Runs `body` in a write transaction: committed when it returns `Ok`, rolled back otherwise.
/// A failed rollback leaves the connection marked broken, so the pool drops it; the body's
/// error is the one worth reporting.
pub(super) async fn write_transaction<C, R, E>(
    c: &mut C,
    body: impl AsyncFnOnce(&mut C) -> Result<R, E>,
) -> Result<R, E>
where
    C: BeginWrite,
    E: From<diesel::result::Error>,
{
    c.begin_write().await?;
    match body(c).await {
        Ok(value) => {
            C::TransactionManager::commit_transaction(c).await?;
            Ok(value)
        }
        Err(e) => {
            let _ = C::TransactionManager::rollback_transaction(c).await;
            Err(e)
        }
    }
}
