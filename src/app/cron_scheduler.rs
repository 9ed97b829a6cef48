//! The cron scheduler (engine.md §7.1): every interval it takes the due crons from the store,
//! claims each one by moving its `next_exec` forward, and starts a `cron` pipeline for the crons
//! it won. The claim is a compare-and-set in the database, so several servers sharing one
//! database never start one schedule twice, and a restarted server picks up where the database
//! says it stands.

use std::time::Duration;

use crate::adapters::http::api::crons::schedule;
use crate::app::pipelines::{Created, LifecycleError, Pipelines};
use crate::domain::cron::Cron;

/// How often the scheduler looks for due crons by default (upstream: every minute).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Most crons one pass starts (upstream's batch size); the rest wait for the next pass.
const BATCH: i64 = 10;

/// Starts the scheduler loop on the runtime; it runs until the task is aborted.
pub fn spawn(pipelines: Pipelines, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(pipelines, interval))
}

/// Runs a pass every `interval`, forever; a failed pass is logged and the next one tries again.
pub async fn run(pipelines: Pipelines, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = run_due(&pipelines).await {
            tracing::warn!(%error, "cron pass failed");
        }
    }
}

/// One pass: starts a pipeline for every due cron this server wins the claim of; returns how
/// many it claimed.
///
/// # Errors
/// Store failures while listing or claiming; a cron whose pipeline cannot be created is logged
/// and does not stop the others.
pub async fn run_due(pipelines: &Pipelines) -> Result<usize, LifecycleError> {
    let engine = pipelines.engine();
    let now = engine.clock.now();
    let mut claimed = 0;
    for cron in engine.store.due_crons(now, BATCH).await? {
        let next = match schedule::next_exec(&cron.schedule, &cron.timezone, now) {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, cron = cron.id, "cron schedule does not parse; not run");
                continue;
            }
        };
        if !engine.store.claim_cron(cron.id, cron.next_exec, next).await? {
            continue;
        }
        claimed += 1;
        // Upstream stamps the pipeline with the new next run, not the one that fired.
        let fired = Cron { next_exec: next, ..cron };
        if let Err(error) = start(pipelines, &fired).await {
            tracing::warn!(%error, cron = fired.id, repo = fired.repo_id, "cannot start cron pipeline");
        }
    }
    Ok(claimed)
}

/// Starts the pipeline of a claimed cron.
async fn start(pipelines: &Pipelines, cron: &Cron) -> Result<(), LifecycleError> {
    let repo = pipelines.engine().store.get_repo(cron.repo_id).await?;
    match pipelines.run_cron(&repo, cron).await? {
        Created::Pipeline(p) => {
            tracing::info!(cron = cron.name, repo = repo.full_name, number = p.number, "cron fired")
        }
        Created::Filtered => {
            tracing::info!(cron = cron.name, repo = repo.full_name, "cron fired; nothing to run")
        }
    }
    Ok(())
}
