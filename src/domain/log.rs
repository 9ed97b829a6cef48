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

/// How long stored step logs are kept (`NUTHATCH_LOG_RETENTION`); logs of pipelines that are
/// still undecided are always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRetention {
    /// `<N>d`: the logs of pipelines that finished in the last N days.
    Days(u32),
    /// `<N>p`: the logs of each repo's N newest pipelines.
    Pipelines(u32),
}

impl LogRetention {
    /// Parses `30d` (days) or `100p` (pipelines per repo); N is at least 1.
    ///
    /// # Errors
    /// A message naming the value and the expected forms.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "invalid log retention '{text}' (expected e.g. 30d for days or 100p for pipelines per repo)"
            )
        };
        let text = text.trim();
        let (number, kind) = text.split_at(text.len().saturating_sub(1));
        let n: u32 = number.parse().ok().filter(|&n| n > 0).ok_or_else(invalid)?;
        match kind {
            "d" | "D" => Ok(Self::Days(n)),
            "p" | "P" => Ok(Self::Pipelines(n)),
            _ => Err(invalid()),
        }
    }

    /// For [`LogRetention::Days`], the unix time before which a finished pipeline's logs expire.
    pub fn finished_before(self, now: i64) -> Option<i64> {
        match self {
            Self::Days(days) => Some(now - i64::from(days) * 86_400),
            Self::Pipelines(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_days_or_pipelines_per_repo() {
        assert_eq!(LogRetention::parse("30d"), Ok(LogRetention::Days(30)));
        assert_eq!(LogRetention::parse(" 100p "), Ok(LogRetention::Pipelines(100)));
        for bad in ["", "d", "0d", "30", "30x", "-1p", "1.5d", "30 days"] {
            assert!(LogRetention::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn day_retention_expires_pipelines_finished_before_the_cutoff() {
        assert_eq!(LogRetention::Days(2).finished_before(1_000_000), Some(1_000_000 - 2 * 86_400));
        assert_eq!(LogRetention::Pipelines(5).finished_before(1_000_000), None);
    }

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
