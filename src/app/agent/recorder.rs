//! A [`Reporter`] that keeps what it is told in memory, so tests of the runner on any backend
//! can check the steps' states and output without a server.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::app::agent::runner::{LogLine, Reporter, StepReport};

/// Every step update and log line a run reported, in order.
#[derive(Debug, Default)]
pub struct RecordingReporter {
    updates: Mutex<Vec<StepReport>>,
    lines: Mutex<Vec<LogLine>>,
}

#[async_trait]
impl Reporter for RecordingReporter {
    async fn update(&self, report: StepReport) {
        self.updates.lock().unwrap_or_else(|e| e.into_inner()).push(report);
    }

    async fn log(&self, line: LogLine) {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

impl RecordingReporter {
    /// The last report of the step with this UUID, if it was reported at all.
    pub fn last(&self, uuid: &str) -> Option<StepReport> {
        self.updates.lock().unwrap_or_else(|e| e.into_inner()).iter().rev().find(|r| r.uuid == uuid).cloned()
    }

    /// The lines the step with this UUID printed, as text.
    pub fn output(&self, uuid: &str) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .filter(|l| l.uuid == uuid)
            .map(|l| String::from_utf8_lossy(&l.data).into_owned())
            .collect()
    }
}
