//! What an agent tells the server about a workflow it runs: each step's state, each output
//! line, and how the workflow ended (the `StepState`, `LogEntry` and `WorkflowState` of the
//! agent protocol, engine.md §1.1), as plain values shared by the runner and the link to the
//! server.

/// A step's state as the agent reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepReport {
    /// The step.
    pub uuid: String,
    /// Unix start time (0 in the report sent when it starts: the server takes its own).
    pub started: i64,
    /// Unix end time.
    pub finished: i64,
    /// Whether it ended.
    pub exited: bool,
    /// Its exit code.
    pub exit_code: i32,
    /// Why it could not run.
    pub error: String,
    /// Stopped by cancel or timeout.
    pub canceled: bool,
    /// Not run because of the workflow's state.
    pub skipped: bool,
}

/// One output line of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The step.
    pub uuid: String,
    /// Line number within the step, from 0.
    pub line: i32,
    /// Seconds since the step started.
    pub time: i64,
    /// The line without its newline.
    pub data: Vec<u8>,
}

/// How the workflow ended, or (in `Init`) when it started.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Unix start time.
    pub started: i64,
    /// Unix end time.
    pub finished: i64,
    /// A runtime error (not a failing step).
    pub error: String,
    /// Canceled or timed out.
    pub canceled: bool,
}
