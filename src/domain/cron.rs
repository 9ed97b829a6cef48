//! Cron jobs: schedules that start pipelines of a repo. Computing the next run belongs to the
//! scheduler; the domain holds the record and its simple rules.

use std::collections::BTreeMap;

use crate::domain::validation::ValidationError;

/// A cron schedule of one repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Name, unique within the repo.
    pub name: String,
    /// The repo.
    pub repo_id: i64,
    /// User who created it.
    pub creator_id: i64,
    /// Unix time of the next run.
    pub next_exec: i64,
    /// Cron expression (5 fields or a descriptor).
    pub schedule: String,
    /// IANA time zone the schedule is read in.
    pub timezone: String,
    /// Unix time of creation.
    pub created: i64,
    /// Branch to run on; empty means the repo's default branch.
    pub branch: String,
    /// Whether it fires.
    pub enabled: bool,
    /// Variables handed to the pipelines it starts.
    pub variables: BTreeMap<String, String>,
}

impl Default for Cron {
    fn default() -> Self {
        Self {
            id: 0,
            name: String::new(),
            repo_id: 0,
            creator_id: 0,
            next_exec: 0,
            schedule: String::new(),
            timezone: "UTC".into(),
            created: 0,
            branch: String::new(),
            enabled: true,
            variables: BTreeMap::new(),
        }
    }
}

impl Cron {
    /// Checks the fields that need no schedule parser: a name and a schedule are present.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new("name", "must not be empty"));
        }
        if self.schedule.trim().is_empty() {
            return Err(ValidationError::new("schedule", "must not be empty"));
        }
        Ok(())
    }

    /// Whether the scheduler should start it at unix time `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.enabled && self.next_exec <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_schedule_are_required() {
        let ok = Cron { name: "nightly".into(), schedule: "@daily".into(), ..Cron::default() };
        assert_eq!(ok.validate(), Ok(()));
        assert!(Cron { name: String::new(), ..ok.clone() }.validate().is_err());
        assert!(Cron { schedule: " ".into(), ..ok }.validate().is_err());
    }

    #[test]
    fn only_enabled_crons_past_their_time_are_due() {
        let c = Cron { next_exec: 100, ..Cron::default() };
        assert!(c.is_due(100));
        assert!(!c.is_due(99));
        assert!(!Cron { enabled: false, ..c }.is_due(200));
    }
}
