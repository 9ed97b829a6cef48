//! Log entries: the lines a step printed, numbered from 0 within the step.

/// What kind of line a log entry holds (wire value is the integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogEntryType {
    /// Standard output.
    #[default]
    Stdout = 0,
    /// Standard error.
    Stderr = 1,
    /// The exit code.
    ExitCode = 2,
    /// Metadata.
    Metadata = 3,
    /// A progress line.
    Progress = 4,
}

impl LogEntryType {
    /// The type for a wire integer; unknown values read as stdout rather than losing the line.
    pub fn from_i32(n: i32) -> Self {
        match n {
            1 => Self::Stderr,
            2 => Self::ExitCode,
            3 => Self::Metadata,
            4 => Self::Progress,
            _ => Self::Stdout,
        }
    }
}

/// One line of a step's output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The step.
    pub step_id: i64,
    /// Seconds since the step started.
    pub time: i64,
    /// Line number within the step, from 0; `(step_id, line)` is unique.
    pub line: i32,
    /// The raw bytes of the line.
    pub data: Vec<u8>,
    /// Kind of line.
    pub entry_type: LogEntryType,
    /// Unix time it was stored.
    pub created: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_integers_map_to_types() {
        for t in [
            LogEntryType::Stdout,
            LogEntryType::Stderr,
            LogEntryType::ExitCode,
            LogEntryType::Metadata,
            LogEntryType::Progress,
        ] {
            assert_eq!(LogEntryType::from_i32(t as i32), t);
        }
        assert_eq!(LogEntryType::from_i32(99), LogEntryType::Stdout);
    }
}
