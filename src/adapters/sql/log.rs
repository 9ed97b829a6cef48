//! Log lines in SQL: a batch is appended in one transaction, row by row (diesel has no
//! multi-row `INSERT` for SQLite through diesel-async), and read back ordered by line.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::adapters::sql::SqlStore;
use crate::adapters::sql::schema::log_entries;
use crate::domain::log::{LogEntry, LogEntryType};
use crate::ports::store::{LogStore, StoreError};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = log_entries)]
struct LogRow {
    #[diesel(skip_insertion)]
    id: i64,
    step_id: i64,
    time: i64,
    line: i32,
    data: Vec<u8>,
    entry_type: i32,
    created: i64,
}

impl From<&LogEntry> for LogRow {
    fn from(e: &LogEntry) -> Self {
        Self {
            id: e.id,
            step_id: e.step_id,
            time: e.time,
            line: e.line,
            data: e.data.clone(),
            entry_type: e.entry_type as i32,
            created: e.created,
        }
    }
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
        let rows: Vec<LogRow> = entries.iter().map(LogRow::from).collect();
        with_conn!(self, write, "log entry", |c, _| {
            c.transaction(async |c| {
                for row in &rows {
                    diesel::insert_into(log_entries::table).values(row).execute(c).await?;
                }
                Ok(())
            })
            .await
        })
    }

    async fn list_logs(&self, step_id: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows = with_conn!(self, read, "log entry", |c, _| {
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
