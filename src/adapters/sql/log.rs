//! Log lines in SQL, behind two ports: the store's [`LogStore`] (a re-sent line is a conflict)
//! and the log storage port [`LogStorage`] (`WOODPECKER_LOG_STORE=database`: a re-sent line is
//! skipped). A batch is appended in one transaction as multi-row `INSERT`s of [`INSERT_CHUNK`]
//! rows, and read back ordered by line.
//!
//! The `INSERT`s are raw SQL with dynamically bound rows: diesel's multi-row `values(Vec)` has
//! no SQLite implementation through diesel-async, and one statement per row costs a round trip
//! to SQLite's blocking thread each (50 000 lines would take seconds).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer};
use diesel_async::RunQueryDsl;

use crate::adapters::sql::SqlStore;
use crate::adapters::sql::dialect::Dialect;
use crate::adapters::sql::schema::log_entries;
use crate::adapters::sql::transaction::write_transaction;
use crate::domain::log::{LogEntry, LogEntryType};
use crate::ports::logs::{LogStorage, LogStorageError};
use crate::ports::store::{LogStore, StoreError};

/// Rows per `INSERT`: 6 bound columns each stays far below every backend's limit of bound
/// parameters (SQLite 32 766, PostgreSQL and MySQL 65 535).
const INSERT_CHUNK: usize = 1000;

/// The inserted columns, in bind order.
const INSERT_COLUMNS: &str = "step_id, time, line, data, entry_type, created";

/// What an `INSERT` does with a `(step_id, line)` that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDuplicate {
    /// Fail with a unique violation (nothing of the batch is stored).
    Fail,
    /// Keep the stored line and go on.
    Skip,
}

/// `INSERT INTO log_entries ... VALUES (..), (..)` for `rows` rows in `dialect`.
fn insert_sql(dialect: Dialect, rows: usize, on_duplicate: OnDuplicate) -> String {
    let columns = INSERT_COLUMNS.split(", ").count();
    let mut sql = format!("INSERT INTO log_entries ({INSERT_COLUMNS}) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Postgres => sql.push_str(&format!("${}", row * columns + column + 1)),
                Dialect::Sqlite | Dialect::Mysql => sql.push('?'),
            }
        }
        sql.push(')');
    }
    if on_duplicate == OnDuplicate::Skip {
        // MySQL's no-op update rather than `INSERT IGNORE`, which would also swallow a missing step.
        sql.push_str(match dialect {
            Dialect::Sqlite | Dialect::Postgres => " ON CONFLICT DO NOTHING",
            Dialect::Mysql => " ON DUPLICATE KEY UPDATE id = id",
        });
    }
    sql
}

/// Inserts `entries` in chunks on `$c` (dialect `$d`); expands inside a `with_conn!` body, once
/// per backend.
macro_rules! insert_entries {
    ($c:ident, $d:expr, $entries:expr, $on_duplicate:expr) => {
        write_transaction($c, async |c| {
            for chunk in $entries.chunks(INSERT_CHUNK) {
                let mut query = diesel::sql_query(insert_sql($d, chunk.len(), $on_duplicate)).into_boxed();
                for e in chunk {
                    query = query
                        .bind::<BigInt, _>(e.step_id)
                        .bind::<BigInt, _>(e.time)
                        .bind::<Integer, _>(e.line)
                        .bind::<Binary, _>(e.data.as_slice())
                        .bind::<Integer, _>(e.entry_type as i32)
                        .bind::<BigInt, _>(e.created);
                }
                query.execute(c).await?;
            }
            Ok(())
        })
        .await
    };
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = log_entries)]
struct LogRow {
    id: i64,
    step_id: i64,
    time: i64,
    line: i32,
    data: Vec<u8>,
    entry_type: i32,
    created: i64,
}

impl From<LogRow> for LogEntry {
    fn from(r: LogRow) -> Self {
        Self {
            id: r.id,
            step_id: r.step_id,
            time: r.time,
            line: r.line,
            data: r.data,
            entry_type: LogEntryType::from_i32(r.entry_type),
            created: r.created,
        }
    }
}

#[async_trait::async_trait]
impl LogStore for SqlStore {
    async fn append_logs(&self, entries: &[LogEntry]) -> Result<(), StoreError> {
        with_conn!(self, write, "log entry", |c, d| insert_entries!(c, d, entries, OnDuplicate::Fail))
    }

    async fn list_logs(&self, step_id: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows = with_conn!(self, scan, "log entry", |c, _| {
            log_entries::table
                .filter(log_entries::step_id.eq(step_id))
                .order(log_entries::line)
                .select(LogRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(LogEntry::from).collect())
    }

    async fn delete_logs(&self, step_id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "log entry", |c, _| {
            diesel::delete(log_entries::table.filter(log_entries::step_id.eq(step_id)))
                .execute(c)
                .await
                .map(drop)
        })
    }
}

#[async_trait::async_trait]
impl LogStorage for SqlStore {
    async fn append(&self, entries: &[LogEntry]) -> Result<(), LogStorageError> {
        with_conn!(self, write, "log entry", |c, d| insert_entries!(c, d, entries, OnDuplicate::Skip))
            .map_err(storage_error)
    }

    async fn read(
        &self,
        step_id: i64,
        from_line: i32,
        limit: usize,
    ) -> Result<Vec<LogEntry>, LogStorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = with_conn!(self, scan, "log entry", |c, _| {
            log_entries::table
                .filter(log_entries::step_id.eq(step_id).and(log_entries::line.ge(from_line)))
                .order(log_entries::line)
                .limit(limit)
                .select(LogRow::as_select())
                .load(c)
                .await
        })
        .map_err(storage_error)?;
        Ok(rows.into_iter().map(LogEntry::from).collect())
    }

    async fn line_count(&self, step_id: i64) -> Result<i64, LogStorageError> {
        with_conn!(self, read, "log entry", |c, _| {
            log_entries::table.filter(log_entries::step_id.eq(step_id)).count().get_result(c).await
        })
        .map_err(storage_error)
    }

    async fn delete(&self, step_id: i64) -> Result<(), LogStorageError> {
        self.delete_logs(step_id).await.map_err(storage_error)
    }
}

/// A store error as a log storage error: unavailability keeps its one-line cause.
fn storage_error(error: StoreError) -> LogStorageError {
    match error {
        StoreError::Unavailable { driver, message } => {
            LogStorageError::Unavailable { backend: "database", message: format!("{driver}: {message}") }
        }
        other => LogStorageError::Unknown(anyhow::Error::new(other).context("database log storage")),
    }
}
