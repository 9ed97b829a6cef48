//! What log retention asks of pipelines in SQL: decided pipelines past the retention whose
//! logs are not marked expired, and the mark (`pipelines.logs_expired`, the time of deletion).
//!
//! "The N newest per repo" ranks with `ROW_NUMBER()`, which SQLite (3.25+), PostgreSQL and
//! MariaDB (10.2+) / MySQL (8+) all have; its numbers are formatted into the SQL, never text.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::SqlStore;
use crate::adapters::sql::schema::pipelines;
use crate::domain::log::LogRetention;
use crate::domain::status::Status;
use crate::ports::store::{LogRetentionStore, StoreError};

#[derive(QueryableByName)]
struct PipelineId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The stored names of the undecided statuses, whose logs are always kept.
fn active_statuses() -> Vec<&'static str> {
    Status::ALL.into_iter().filter(|s| s.is_active()).map(Status::as_str).collect()
}

/// Pipelines beyond the `keep` newest of their repo, not yet expired nor undecided.
fn beyond_newest_sql(keep: u32, limit: i64) -> String {
    let active: Vec<String> = active_statuses().iter().map(|s| format!("'{s}'")).collect();
    format!(
        "SELECT id FROM (SELECT id, status, logs_expired, \
         ROW_NUMBER() OVER (PARTITION BY repo_id ORDER BY number DESC) AS newer FROM pipelines) ranked \
         WHERE newer > {keep} AND logs_expired = 0 AND status NOT IN ({}) ORDER BY id LIMIT {limit}",
        active.join(", ")
    )
}

#[async_trait::async_trait]
impl LogRetentionStore for SqlStore {
    async fn pipelines_with_expired_logs(
        &self,
        retention: LogRetention,
        now: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        with_conn!(self, read, "pipeline", |c, _| {
            match retention {
                LogRetention::Days(_) => {
                    let cutoff = retention.finished_before(now).unwrap_or(now);
                    pipelines::table
                        .filter(pipelines::logs_expired.eq(0))
                        .filter(pipelines::finished.gt(0).and(pipelines::finished.lt(cutoff)))
                        .filter(pipelines::status.ne_all(active_statuses()))
                        .order(pipelines::id)
                        .limit(limit)
                        .select(pipelines::id)
                        .load(c)
                        .await
                }
                LogRetention::Pipelines(keep) => diesel::sql_query(beyond_newest_sql(keep, limit))
                    .load::<PipelineId>(c)
                    .await
                    .map(|rows| rows.into_iter().map(|r| r.id).collect()),
            }
        })
    }

    async fn mark_logs_expired(&self, pipeline_id: i64, at: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "pipeline", |c, _| {
            diesel::update(pipelines::table.find(pipeline_id).filter(pipelines::logs_expired.eq(0)))
                .set(pipelines::logs_expired.eq(at))
                .execute(c)
                .await
                .map(drop)
        })
    }
}
