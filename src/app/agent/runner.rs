//! Running one workflow on a backend, transport-free: stages in order, the steps of a stage
//! together, each step's state and output handed to a [`Reporter`] (the gRPC client in the
//! agent), with the rules of upstream's runtime:
//! - a step runs when the workflow is healthy and it has `on_success`, or failing and
//!   `on_failure`; otherwise it is reported `skipped`;
//! - a non-zero exit fails the workflow unless the step's failure mode is `ignore`;
//! - detached steps and services start and run in the background until the workflow ends;
//! - cancel or timeout stops the running steps (reported `canceled`) and runs no more.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::future::join_all;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::watch;

pub use crate::domain::run_report::{LogLine, Outcome, StepReport};
use crate::domain::workflow::FailureMode;
use crate::domain::workload::{StepSpec, Workload};
use crate::ports::backend::{Backend, Output};

/// Longest line sent as one log entry; longer output is split (upstream: 1 MiB).
const MAX_LINE: usize = 1024 * 1024;

/// Where a running workflow's progress goes.
#[async_trait]
pub trait Reporter: Send + Sync {
    /// A step changed state.
    async fn update(&self, report: StepReport);
    /// A step printed a line.
    async fn log(&self, line: LogLine);
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Runs `workload` to its end. `cancel` turning `true` stops it; so does `timeout`.
pub async fn run(
    backend: Arc<dyn Backend>,
    task_id: &str,
    workload: &Workload,
    reporter: Arc<dyn Reporter>,
    mut cancel: watch::Receiver<bool>,
    timeout: Duration,
) -> Outcome {
    let started = unix_now();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut outcome = Outcome { started, ..Outcome::default() };
    if let Err(e) = backend.setup_workflow(task_id, workload).await {
        outcome.error = e.to_string();
        outcome.finished = unix_now();
        return outcome;
    }
    let mut failing = false;
    let mut background = Vec::new();
    for stage in &workload.pipeline {
        if outcome.canceled {
            break;
        }
        let runs = stage.steps.iter().map(|step| {
            let (backend, reporter) = (backend.clone(), reporter.clone());
            let cancel = cancel.clone();
            async move { run_step(backend, task_id, step, reporter, failing, cancel, deadline).await }
        });
        for result in join_all(runs).await {
            match result {
                StepResult::Failed => failing = true,
                StepResult::Canceled => outcome.canceled = true,
                StepResult::Detached(step) => background.push(step),
                StepResult::Passed => {}
            }
        }
        if *cancel.borrow_and_update() || tokio::time::Instant::now() >= deadline {
            outcome.canceled = true;
        }
    }
    for step in &background {
        let _ = backend.destroy_step(task_id, step).await;
    }
    if let Err(e) = backend.destroy_workflow(task_id, workload).await {
        tracing::warn!(error = %e, task = task_id, "cannot clean up workflow");
    }
    outcome.finished = unix_now();
    outcome
}

/// What one step did to the workflow.
enum StepResult {
    Passed,
    Failed,
    Canceled,
    Detached(Box<StepSpec>),
}

async fn run_step(
    backend: Arc<dyn Backend>,
    task_id: &str,
    step: &StepSpec,
    reporter: Arc<dyn Reporter>,
    failing: bool,
    mut cancel: watch::Receiver<bool>,
    deadline: tokio::time::Instant,
) -> StepResult {
    let report = |r: StepReport| StepReport { uuid: step.uuid.clone(), ..r };
    if *cancel.borrow() {
        return StepResult::Canceled;
    }
    if !step.runs_when(failing) {
        reporter.update(report(StepReport { skipped: true, ..StepReport::default() })).await;
        return StepResult::Passed;
    }
    reporter.update(report(StepReport::default())).await;
    let started = unix_now();
    let output = match backend.start_step(task_id, step).await {
        Ok(output) => output,
        Err(e) => {
            let end = StepReport {
                started,
                finished: unix_now(),
                exited: true,
                error: e.to_string(),
                ..StepReport::default()
            };
            reporter.update(report(end)).await;
            return failure_result(step);
        }
    };
    let forwarding = tokio::spawn(forward(output, step.uuid.clone(), reporter.clone()));
    if step.detach || step.kind == "service" {
        return StepResult::Detached(Box::new(step.clone()));
    }
    let wait = backend.wait_step(task_id, step);
    let stopped = async {
        let canceled = cancel.wait_for(|c| *c);
        let _ = tokio::time::timeout_at(deadline, canceled).await;
    };
    tokio::select! {
        exit = wait => {
            // All output is in before the step is reported finished.
            let _ = forwarding.await;
            let (exit_code, error) = match exit {
                Ok(exit) if exit.oom_killed => (exit.code, "received oom kill".to_owned()),
                Ok(exit) => (exit.code, String::new()),
                Err(e) => (1, e.to_string()),
            };
            let end = StepReport { started, finished: unix_now(), exited: true, exit_code, error: error.clone(), ..StepReport::default() };
            reporter.update(report(end)).await;
            if exit_code == 0 && error.is_empty() { StepResult::Passed } else { failure_result(step) }
        }
        () = stopped => {
            let _ = backend.destroy_step(task_id, step).await;
            let _ = forwarding.await;
            let end = StepReport { started, finished: unix_now(), exited: true, exit_code: 137, canceled: true, ..StepReport::default() };
            reporter.update(report(end)).await;
            StepResult::Canceled
        }
    }
}

fn failure_result(step: &StepSpec) -> StepResult {
    if step.failure_mode() == FailureMode::Ignore { StepResult::Passed } else { StepResult::Failed }
}

/// Sends a step's output line by line until it ends.
async fn forward(output: Output, uuid: String, reporter: Arc<dyn Reporter>) {
    let opened = Instant::now();
    let mut reader = BufReader::new(output);
    let mut number = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match (&mut reader).take(MAX_LINE as u64).read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                let line = LogLine {
                    uuid: uuid.clone(),
                    line: number,
                    time: opened.elapsed().as_secs() as i64,
                    data: buf.clone(),
                };
                reporter.log(line).await;
                number += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::backend::local::LocalBackend;
    use crate::app::agent::recorder::RecordingReporter;
    use crate::domain::workload::StageSpec;

    fn step(uuid: &str, commands: &[&str]) -> StepSpec {
        StepSpec {
            name: uuid.into(),
            uuid: uuid.into(),
            kind: "commands".into(),
            commands: commands.iter().map(|c| c.to_string()).collect(),
            on_success: true,
            ..StepSpec::default()
        }
    }

    fn workload(stages: Vec<Vec<StepSpec>>) -> Workload {
        Workload {
            pipeline: stages.into_iter().map(|steps| StageSpec { steps }).collect(),
            ..Workload::default()
        }
    }

    async fn run_with(
        workload: &Workload,
        cancel: watch::Receiver<bool>,
    ) -> (Outcome, Arc<RecordingReporter>) {
        let root =
            std::env::temp_dir().join(format!("nuthatch-runner-{}-{}", std::process::id(), unix_now()));
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(&root));
        let recorder = Arc::new(RecordingReporter::default());
        let outcome = run(backend, "1", workload, recorder.clone(), cancel, Duration::from_secs(60)).await;
        let _ = std::fs::remove_dir_all(root);
        (outcome, recorder)
    }

    #[tokio::test]
    async fn steps_run_stage_by_stage_and_report_output_and_exit_codes() {
        let ignored = StepSpec { failure: "ignore".into(), ..step("flaky", &["echo oops", "exit 3"]) };
        let w = workload(vec![
            vec![step("hello", &["echo one", "echo two"]), ignored],
            vec![step("after", &["true"])],
        ]);
        let (outcome, rec) = run_with(&w, watch::channel(false).1).await;
        assert!(!outcome.canceled && outcome.error.is_empty());
        assert_eq!(rec.output("hello"), ["+ echo one", "one", "+ echo two", "two"]);
        assert_eq!(rec.last("hello").expect("reported").exit_code, 0);
        assert_eq!(rec.last("flaky").expect("reported").exit_code, 3);
        assert!(rec.last("after").expect("reported").exited, "an ignored failure does not stop the workflow");
    }

    #[tokio::test]
    async fn after_a_failure_only_on_failure_steps_run() {
        let notify = StepSpec { on_success: false, on_failure: true, ..step("notify", &["echo failed"]) };
        let w =
            workload(vec![vec![step("build", &["exit 1"])], vec![step("deploy", &["true"])], vec![notify]]);
        let (_, rec) = run_with(&w, watch::channel(false).1).await;
        assert_eq!(rec.last("build").expect("reported").exit_code, 1);
        assert!(rec.last("deploy").expect("reported").skipped);
        assert_eq!(rec.output("notify"), ["+ echo failed", "failed"]);
    }

    #[tokio::test]
    async fn cancel_kills_the_running_step_and_what_it_started() {
        let (cancel, canceled) = watch::channel(false);
        let w =
            workload(vec![vec![step("sleeper", &["sleep 600 & sleep 600"])], vec![step("never", &["true"])]]);
        let begun = Instant::now();
        let stopper = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            cancel.send(true).unwrap();
        });
        let (outcome, rec) = run_with(&w, canceled).await;
        stopper.await.unwrap();
        assert!(outcome.canceled);
        assert!(begun.elapsed() < Duration::from_secs(5));
        assert!(rec.last("sleeper").expect("reported").canceled);
        assert!(rec.last("never").is_none(), "a step after a canceled one never starts");
    }
}
