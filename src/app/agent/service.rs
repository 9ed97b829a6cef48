//! The agent's main loop (engine.md §1.6), over the [`AgentLink`] and [`Backend`] ports:
//! register, report health every [`HEALTH_EVERY`], and run `capacity` workers, each long-polling
//! `Next` and running what it gets. On shutdown the workers stop polling and cancel what they
//! run, which still ends with `Done`.

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

/// Registers the agent and runs workflows until `shutdown` completes; returns once the running
/// workflows are reported done. `registered` is told the agent's id (to keep it for the next
/// start).
///
/// # Errors
/// When registering fails.
pub async fn run(
    link: Arc<dyn AgentLink>,
    backend: Arc<dyn Backend>,
    settings: AgentSettings,
    registered: impl FnOnce(i64),
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
    registered(id);
    tracing::info!(agent = id, capacity = settings.capacity, backend = backend.name(), "agent registered");
    let health = tokio::spawn(report_health(link.clone()));
    let (logs, log_sender) = LogSender::spawn(link.clone());
    let context =
        Context { link: link.clone(), backend: backend.clone(), logs, hostname: settings.hostname.clone() };
    let filter = Arc::new(settings.filter(backend.as_ref()));
    let (stop, stopping) = watch::channel(false);
    let workers: Vec<_> = (0..settings.capacity.max(1))
        .map(|_| tokio::spawn(work(context.clone(), filter.clone(), stopping.clone())))
        .collect();
    drop(context);
    shutdown.await;
    tracing::info!("agent stopping");
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    health.abort();
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

/// One worker: poll, run, repeat until stopped.
async fn work(context: Context, filter: Arc<BTreeMap<String, String>>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let next = tokio::select! {
            next = context.link.next(&filter) => next,
            () = workflow::stopped(&mut stop) => return,
        };
        match next {
            Ok(Some(assignment)) => workflow::execute(&context, assignment, stop.clone()).await,
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
