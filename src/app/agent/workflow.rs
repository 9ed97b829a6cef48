//! One handed-out workflow from start to end (engine.md §1.6 step 5): a `Wait` running from the
//! start cancels the run when the server cancels the workflow; the lease is extended every
//! [`EXTEND_EVERY`]; `Init`, the steps with their updates and lines, then `Done` once every line
//! is sent.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::app::agent::logs::LogSender;
use crate::app::agent::runner::{self, LogLine, Reporter, StepReport, unix_now};
use crate::domain::mask::Masker;
use crate::domain::run_report::Outcome;
use crate::domain::workload::Workload;
use crate::ports::agent_link::{AgentLink, Assignment};
use crate::ports::backend::Backend;

/// How often the lease is renewed (a third of upstream's 60 s lease).
pub const EXTEND_EVERY: Duration = Duration::from_secs(20);
/// Timeout of a workflow that names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// What every workflow of the agent shares.
#[derive(Clone)]
pub struct Context {
    /// The server.
    pub link: Arc<dyn AgentLink>,
    /// Where steps run.
    pub backend: Arc<dyn Backend>,
    /// The log sender.
    pub logs: LogSender,
    /// The agent's host name (`CI_MACHINE`).
    pub hostname: String,
}

/// Runs `assignment`; `stop` turning `true` (the agent shutting down) cancels it.
pub async fn execute(context: &Context, assignment: Assignment, stop: watch::Receiver<bool>) {
    let id = assignment.id.clone();
    let workload = match Workload::decode(&assignment.payload) {
        Ok(workload) => workload,
        Err(error) => {
            // Upstream only logs this and leaves the workflow to its lease; ending it with the
            // cause tells the user why it did not run.
            tracing::error!(workflow = id, %error, "cannot decode the workflow");
            let started = unix_now();
            let end = Outcome {
                started,
                finished: started,
                error: format!("agent cannot decode the workflow: {error}"),
                canceled: false,
            };
            if context.link.init(&id, &end).await.is_ok() {
                report_done(context, &id, &end).await;
            }
            return;
        }
    };
    let workload = with_machine_env(workload, &context.hostname, &context.backend.platform());
    let timeout = match assignment.timeout_minutes {
        minutes if minutes > 0 => Duration::from_secs(minutes as u64 * 60),
        _ => DEFAULT_TIMEOUT,
    };
    let (cancel, canceled) = watch::channel(false);
    let cancel = Arc::new(cancel);
    let waiter = tokio::spawn(wait_for_cancel(context.link.clone(), id.clone(), cancel.clone()));
    let keeper = tokio::spawn(keep_lease(context.link.clone(), id.clone(), stop, cancel));

    let start = Outcome { started: unix_now(), ..Outcome::default() };
    if let Err(error) = context.link.init(&id, &start).await {
        tracing::warn!(workflow = id, %error, "the server refused to start the workflow");
        waiter.abort();
        keeper.abort();
        return;
    }
    tracing::info!(workflow = id, "running workflow");
    let reporter = Arc::new(LinkReporter {
        link: context.link.clone(),
        id: id.clone(),
        logs: context.logs.clone(),
        masker: Masker::new(workload.secrets.iter().map(|s| s.value.as_str())),
    });
    let outcome = runner::run(context.backend.clone(), &id, &workload, reporter, canceled, timeout).await;
    // Every line reaches the server before the workflow is reported done.
    context.logs.flush().await;
    waiter.abort();
    keeper.abort();
    report_done(context, &id, &outcome).await;
    tracing::info!(workflow = id, canceled = outcome.canceled, error = outcome.error, "workflow ended");
}

async fn report_done(context: &Context, id: &str, outcome: &Outcome) {
    if let Err(error) = context.link.done(id, outcome).await {
        tracing::warn!(workflow = id, %error, "cannot report the workflow done");
    }
}

/// Adds `CI_MACHINE` and `CI_SYSTEM_PLATFORM` to every step, as upstream's agent does.
fn with_machine_env(mut workload: Workload, hostname: &str, platform: &str) -> Workload {
    for stage in &mut workload.pipeline {
        for step in &mut stage.steps {
            step.environment.insert("CI_MACHINE".into(), hostname.into());
            step.environment.insert("CI_SYSTEM_PLATFORM".into(), platform.into());
        }
    }
    workload
}

/// `Wait`: cancels the run when the server canceled the workflow or its lease is gone.
async fn wait_for_cancel(link: Arc<dyn AgentLink>, id: String, cancel: Arc<watch::Sender<bool>>) {
    match link.wait(&id).await {
        Ok(true) => {
            tracing::info!(workflow = id, "the server canceled the workflow");
            let _ = cancel.send(true);
        }
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(workflow = id, %error, "lost the workflow at the server; canceling it");
            let _ = cancel.send(true);
        }
    }
}

/// `Extend` every [`EXTEND_EVERY`]; passes the agent's stop on as a cancel.
async fn keep_lease(
    link: Arc<dyn AgentLink>,
    id: String,
    mut stop: watch::Receiver<bool>,
    cancel: Arc<watch::Sender<bool>>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + EXTEND_EVERY, EXTEND_EVERY);
    let mut stopping = false;
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(error) = link.extend(&id).await {
                    tracing::warn!(workflow = id, %error, "cannot extend the lease");
                }
            }
            () = stopped(&mut stop), if !stopping => {
                stopping = true;
                let _ = cancel.send(true);
            }
        }
    }
}

/// Completes once `stop` is `true` (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Hands the runner's reports to the server: updates at once, lines through the log sender.
struct LinkReporter {
    link: Arc<dyn AgentLink>,
    id: String,
    logs: LogSender,
    masker: Masker,
}

#[async_trait]
impl Reporter for LinkReporter {
    async fn update(&self, report: StepReport) {
        if let Err(error) = self.link.update(&self.id, &report).await {
            tracing::warn!(workflow = self.id, step = report.uuid, %error, "cannot report a step's state");
        }
    }

    async fn log(&self, mut line: LogLine) {
        if let Some(masked) = self.masker.mask(&line.data) {
            line.data = masked;
        }
        self.logs.push(line).await;
    }
}
