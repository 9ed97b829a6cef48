//! The agent's main loop (engine.md §1.6), over the [`AgentLink`] and [`Backend`] ports:
//! register, report health every [`HEALTH_EVERY`], and run `capacity` workers, each long-polling
//! `Next` and running what it gets. On shutdown the workers stop polling and cancel what they
//! run, which still ends with `Done`. Once no workflow has run for [`SETTLE`] (after the start,
//! and after each stretch of work) the agent counts as idle, and its owner hears of it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::agent::logs::LogSender;
use crate::app::agent::workflow::{self, Context};
use crate::ports::agent_link::{AgentInfo, AgentLink, LinkError};
use crate::ports::backend::Backend;

/// How often the agent says it is alive.
pub const HEALTH_EVERY: Duration = Duration::from_secs(10);
/// Pause after a failed poll before the next one.
const POLL_RETRY: Duration = Duration::from_secs(5);
/// How long the workers wait for work before the agent counts as idle: long enough for the start
/// (or the end of a workflow) to be over and the first health report to be made.
pub const SETTLE: Duration = Duration::from_secs(5);

/// What the agent is.
#[derive(Debug, Clone, Default)]
pub struct AgentSettings {
    /// Its host name (label `hostname`, `CI_MACHINE`).
    pub hostname: String,
    /// Workflows run at once.
    pub capacity: usize,
    /// Labels of its operator; they override the defaults of [`AgentSettings::filter`].
    pub labels: BTreeMap<String, String>,
    /// Its version.
    pub version: String,
}

impl AgentSettings {
    /// The labels the agent polls with: `hostname`, `platform`, `backend`, `repo=*`, then the
    /// operator's labels over them.
    pub fn filter(&self, backend: &dyn Backend) -> BTreeMap<String, String> {
        let mut filter = BTreeMap::from([
            ("hostname".to_owned(), self.hostname.clone()),
            ("platform".to_owned(), backend.platform()),
            ("backend".to_owned(), backend.name().to_owned()),
            ("repo".to_owned(), "*".to_owned()),
        ]);
        filter.extend(self.labels.clone());
        filter
    }
}

/// What the agent's owner hears of it.
pub struct Hooks<R, I> {
    /// Told the agent's id once it is registered (to keep it for the next start).
    pub registered: R,
    /// Called each time the agent has become idle (see [`SETTLE`]).
    pub idle: I,
}

/// Registers the agent and runs workflows until `shutdown` completes; returns once the running
/// workflows are reported done.
///
/// # Errors
/// When registering fails.
pub async fn run(
    link: Arc<dyn AgentLink>,
    backend: Arc<dyn Backend>,
    settings: AgentSettings,
    hooks: Hooks<impl FnOnce(i64), impl Fn() + Send + 'static>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), LinkError> {
    let info = AgentInfo {
        platform: backend.platform(),
        capacity: i32::try_from(settings.capacity).unwrap_or(i32::MAX),
        backend: backend.name().to_owned(),
        version: settings.version.clone(),
        custom_labels: settings.labels.clone(),
    };
    let id = link.register(&info).await?;
    (hooks.registered)(id);
    tracing::info!(agent = id, capacity = settings.capacity, backend = backend.name(), "agent registered");
    let health = tokio::spawn(report_health(link.clone()));
    let (busy, busy_workers) = watch::channel(0_usize);
    let busy = Arc::new(busy);
    let idle = tokio::spawn(watch_idle(busy_workers, hooks.idle));
    let (logs, log_sender) = LogSender::spawn(link.clone());
    let context =
        Context { link: link.clone(), backend: backend.clone(), logs, hostname: settings.hostname.clone() };
    let filter = Arc::new(settings.filter(backend.as_ref()));
    let (stop, stopping) = watch::channel(false);
    let workers: Vec<_> = (0..settings.capacity.max(1))
        .map(|_| tokio::spawn(work(context.clone(), filter.clone(), busy.clone(), stopping.clone())))
        .collect();
    drop((context, busy));
    shutdown.await;
    tracing::info!("agent stopping");
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    health.abort();
    idle.abort();
    let _ = log_sender.await;
    Ok(())
}

async fn report_health(link: Arc<dyn AgentLink>) {
    let mut ticks = tokio::time::interval(HEALTH_EVERY);
    loop {
        ticks.tick().await;
        if let Err(error) = link.report_health().await {
            tracing::warn!(%error, "cannot report health");
        }
    }
}

/// Calls `idle` each time no worker has run a workflow for [`SETTLE`]; `busy` counts the workers
/// running one.
async fn watch_idle(mut busy: watch::Receiver<usize>, idle: impl Fn()) {
    loop {
        if busy.wait_for(|running| *running == 0).await.is_err() {
            return;
        }
        match tokio::time::timeout(SETTLE, busy.wait_for(|running| *running > 0)).await {
            Ok(Ok(_)) => continue,
            Ok(Err(_)) => return,
            Err(_settled) => idle(),
        }
        if busy.wait_for(|running| *running > 0).await.is_err() {
            return;
        }
    }
}

/// One worker: poll, run, repeat until stopped; `busy` counts it while it runs a workflow.
async fn work(
    context: Context,
    filter: Arc<BTreeMap<String, String>>,
    busy: Arc<watch::Sender<usize>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let next = tokio::select! {
            next = context.link.next(&filter) => next,
            () = workflow::stopped(&mut stop) => return,
        };
        match next {
            Ok(Some(assignment)) => {
                busy.send_modify(|running| *running += 1);
                workflow::execute(&context, assignment, stop.clone()).await;
                busy.send_modify(|running| *running -= 1);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "cannot poll for work; trying again");
                tokio::select! {
                    () = tokio::time::sleep(POLL_RETRY) => {}
                    () = workflow::stopped(&mut stop) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Runs `watch_idle` on a paused clock; returns the busy counter and how often it called.
    fn watched() -> (watch::Sender<usize>, Arc<AtomicUsize>) {
        let (busy, workers) = watch::channel(0);
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        tokio::spawn(watch_idle(workers, move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        (busy, calls)
    }

    async fn after(duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_agent_is_idle_once_after_settling_and_again_after_each_stretch_of_work() {
        let (busy, calls) = watched();
        after(SETTLE - Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0, "not settled yet");
        after(Duration::from_millis(200)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "settled after the start");
        after(SETTLE * 10).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "idle stays idle: no repeat");

        busy.send_modify(|running| *running += 1);
        after(SETTLE * 2).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not idle while a workflow runs");
        busy.send_modify(|running| *running -= 1);
        after(SETTLE + Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "idle again after the work");
    }

    #[tokio::test(start_paused = true)]
    async fn work_arriving_before_the_agent_settles_postpones_idleness() {
        let (busy, calls) = watched();
        after(SETTLE / 2).await;
        busy.send_modify(|running| *running += 1);
        after(SETTLE).await;
        busy.send_modify(|running| *running -= 1);
        after(SETTLE - Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0, "the clock restarted when the work ended");
        after(Duration::from_millis(200)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
