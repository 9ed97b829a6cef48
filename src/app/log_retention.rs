//! Log retention (`NUTHATCH_LOG_RETENTION`): a periodic sweep deletes the step logs of decided
//! pipelines the retention no longer keeps, through the log storage port (database or files),
//! then marks those pipelines so later sweeps skip them. Deleting logs and marking are both
//! idempotent, so servers sharing a database may sweep at the same time.

use std::time::Duration;

use anyhow::Context;

use crate::app::engine::Engine;
use crate::app::step_logs::delete_pipeline_logs;
use crate::domain::log::LogRetention;

/// How often the sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Pipelines taken from the store per query.
const BATCH: i64 = 100;

/// Starts the sweep loop on the runtime; it runs until the task is aborted.
pub fn spawn(engine: Engine, retention: LogRetention, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&engine, retention).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, ?retention, "deleted the logs of expired pipelines"),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "log retention sweep failed"),
            }
        }
    })
}

/// One sweep: deletes the logs of every pipeline `retention` no longer keeps; returns how many
/// pipelines it expired.
///
/// # Errors
/// Store or log storage failures; pipelines done before the failure stay done.
pub async fn sweep(engine: &Engine, retention: LogRetention) -> anyhow::Result<usize> {
    let now = engine.clock.now();
    let mut expired = 0;
    loop {
        let ids = engine
            .store
            .pipelines_with_expired_logs(retention, now, BATCH)
            .await
            .context("cannot list pipelines with expired logs")?;
        for &id in &ids {
            delete_pipeline_logs(engine.store.as_ref(), engine.logs.as_ref(), id)
                .await
                .with_context(|| format!("cannot delete the logs of pipeline {id}"))?;
            engine.store.mark_logs_expired(id, now).await.context("cannot mark logs expired")?;
        }
        expired += ids.len();
        if ids.len() < BATCH as usize {
            return Ok(expired);
        }
    }
}
