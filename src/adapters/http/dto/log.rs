//! The `LogEntry` wire shape (api.md §3.7): one line of a step's output with its bytes in
//! base64, as the step log endpoint and the live log stream send it.

use poem_openapi::Object;
use poem_openapi::types::Base64;

use crate::domain::log::LogEntry;

/// One line of a step's output.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LogEntry")]
pub struct LogEntryDto {
    /// Store id (0 for a live line not stored yet).
    pub id: i64,
    /// The step.
    pub step_id: i64,
    /// Seconds since the step started.
    pub time: i64,
    /// Line number within the step, from 0.
    pub line: i32,
    /// The raw bytes of the line, base64.
    pub data: Base64<Vec<u8>>,
    /// 0 stdout, 1 stderr, 2 exit code, 3 metadata, 4 progress.
    #[oai(rename = "type")]
    pub entry_type: i32,
}

impl From<&LogEntry> for LogEntryDto {
    fn from(e: &LogEntry) -> Self {
        Self {
            id: e.id,
            step_id: e.step_id,
            time: e.time,
            line: e.line,
            data: Base64(e.data.clone()),
            entry_type: e.entry_type as i32,
        }
    }
}
