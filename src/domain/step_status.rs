//! How an agent's report moves a step (engine.md §5.4), and how the steps an agent left open are
//! closed when their workflow ends.

use crate::domain::status::Status;
use crate::domain::workflow::Step;

/// What an agent reports about one step (the gRPC `StepState`, without the step uuid).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepReport {
    /// Unix time it started (0 = not reported).
    pub started: i64,
    /// Unix time it finished (0 = not reported).
    pub finished: i64,
    /// Its process exited.
    pub exited: bool,
    /// The exit code.
    pub exit_code: i32,
    /// Why it failed to run, if it did.
    pub error: String,
    /// It was stopped by a cancel.
    pub canceled: bool,
    /// The agent skipped it (`on_success`/`on_failure` said so).
    pub skipped: bool,
}

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepReportError {
    /// Only pending and running steps take reports.
    #[error("step has state {0} and does not expect rpc state updates")]
    NotOpen(Status),
}

/// Applies a report to a step, as upstream's `CalcStepStatus`: a pending step that is skipped
/// becomes `skipped`; a pending step becomes `running` (started: reported, else `now`); an exit
/// or an error finishes it (finished: reported, else `now`) as `success` when the exit code is 0
/// and there is no error, else `failure`; a cancel makes it `killed`.
///
/// # Errors
/// [`StepReportError::NotOpen`] when the step already finished.
pub fn apply_report(step: &mut Step, report: &StepReport, now: i64) -> Result<(), StepReportError> {
    match step.state {
        Status::Pending if report.skipped => {
            step.state = Status::Skipped;
            return Ok(());
        }
        Status::Pending => {
            step.state = Status::Running;
            step.started = if report.started != 0 { report.started } else { now };
        }
        Status::Running => {}
        other => return Err(StepReportError::NotOpen(other)),
    }
    if report.exited || !report.error.is_empty() {
        step.finished = if report.finished != 0 { report.finished } else { now };
        step.exit_code = report.exit_code;
        step.error.clone_from(&report.error);
        step.state =
            if report.exit_code == 0 && report.error.is_empty() { Status::Success } else { Status::Failure };
    }
    if report.canceled {
        step.state = Status::Killed;
        if step.finished == 0 {
            step.finished = now;
        }
    }
    Ok(())
}

/// How a workflow ended, for closing the steps its agent did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowEnd {
    /// The agent reported it done, not canceled.
    Finished,
    /// The agent reported it canceled.
    Canceled,
    /// Its agent vanished (lease expired).
    Lost,
    /// The server decided not to run it (dependencies): nothing of it ever ran.
    NotRun,
}

/// Closes a step left pending or running when its workflow ended; finished steps are left as
/// they are. A workflow that never ran skips its steps; a running step of a workflow that
/// finished normally was a detached service the agent stopped, so it counts as `success`;
/// everything else the agent did not finish is `killed`.
pub fn close_open_step(step: &mut Step, end: WorkflowEnd, now: i64) {
    if !matches!(step.state, Status::Pending | Status::Running) {
        return;
    }
    step.state = match (end, step.state) {
        (WorkflowEnd::NotRun, _) => Status::Skipped,
        (WorkflowEnd::Finished, Status::Running) => Status::Success,
        _ => Status::Killed,
    };
    if step.state != Status::Skipped && step.finished == 0 {
        step.finished = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1000;

    fn step(state: Status) -> Step {
        Step { state, ..Step::default() }
    }

    fn apply(state: Status, report: StepReport) -> Step {
        let mut s = step(state);
        apply_report(&mut s, &report, NOW).unwrap();
        s
    }

    #[test]
    fn a_start_report_makes_a_pending_step_running() {
        let s = apply(Status::Pending, StepReport { started: 10, ..StepReport::default() });
        assert_eq!((s.state, s.started, s.finished), (Status::Running, 10, 0));
        assert_eq!(apply(Status::Pending, StepReport::default()).started, NOW);
    }

    #[test]
    fn an_exit_finishes_the_step_by_its_code() {
        let ok = StepReport { started: 10, finished: 20, exited: true, ..StepReport::default() };
        let s = apply(Status::Running, ok.clone());
        assert_eq!((s.state, s.finished), (Status::Success, 20));
        let failed = apply(Status::Running, StepReport { exit_code: 2, ..ok });
        assert_eq!((failed.state, failed.exit_code), (Status::Failure, 2));
    }

    #[test]
    fn a_start_error_fails_a_pending_step_at_once() {
        let s =
            apply(Status::Pending, StepReport { error: "image not found".into(), ..StepReport::default() });
        assert_eq!((s.state, s.started, s.finished), (Status::Failure, NOW, NOW));
        assert_eq!(s.error, "image not found");
    }

    #[test]
    fn a_skip_report_skips_a_pending_step() {
        let s = apply(Status::Pending, StepReport { skipped: true, ..StepReport::default() });
        assert_eq!((s.state, s.started), (Status::Skipped, 0));
    }

    #[test]
    fn a_cancel_kills_the_step() {
        let s = apply(
            Status::Running,
            StepReport { exited: true, exit_code: 137, canceled: true, ..StepReport::default() },
        );
        assert_eq!((s.state, s.finished), (Status::Killed, NOW));
    }

    #[test]
    fn finished_steps_refuse_reports() {
        let mut s = step(Status::Success);
        assert_eq!(
            apply_report(&mut s, &StepReport::default(), NOW),
            Err(StepReportError::NotOpen(Status::Success))
        );
    }

    #[test]
    fn open_steps_close_by_how_the_workflow_ended() {
        let cases = [
            (WorkflowEnd::Finished, Status::Running, Status::Success),
            (WorkflowEnd::Finished, Status::Pending, Status::Killed),
            (WorkflowEnd::Canceled, Status::Running, Status::Killed),
            (WorkflowEnd::Lost, Status::Running, Status::Killed),
            (WorkflowEnd::NotRun, Status::Pending, Status::Skipped),
            (WorkflowEnd::Lost, Status::Failure, Status::Failure),
        ];
        for (end, from, to) in cases {
            let mut s = step(from);
            close_open_step(&mut s, end, NOW);
            assert_eq!(s.state, to, "{end:?} {from}");
        }
    }
}
