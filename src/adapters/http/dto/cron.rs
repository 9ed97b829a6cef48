//! The `Cron` and `CronPatch` wire shapes (api.md §3.10). Answers carry 3.x's `created` and
//! 2.x's `created_at` alias. One input shape serves creation and patches: every field is
//! optional, and what "absent" means differs (creation: zero values, as upstream binds a full
//! `Cron`; patch: unchanged).

use std::collections::BTreeMap;

use poem_openapi::Object;

use crate::domain::cron::Cron;

/// A cron schedule of a repo.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Cron")]
pub struct CronDto {
    /// Store id.
    pub id: i64,
    /// Name, unique within the repo.
    pub name: String,
    /// The repo.
    pub repo_id: i64,
    /// User who created or last changed it.
    pub creator_id: i64,
    /// Unix time of the next run.
    pub next_exec: i64,
    /// Cron expression: 5 fields, a descriptor (`@daily`) or `@every <duration>`.
    pub schedule: String,
    /// IANA time zone the schedule is read in.
    pub timezone: String,
    /// Unix time of creation.
    pub created: i64,
    /// 2.x name of `created`.
    pub created_at: i64,
    /// Branch to run on; empty means the repo's default branch.
    pub branch: String,
    /// Whether it fires.
    pub enabled: bool,
    /// Variables handed to the pipelines it starts.
    pub variables: BTreeMap<String, String>,
}

impl From<&Cron> for CronDto {
    fn from(c: &Cron) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            repo_id: c.repo_id,
            creator_id: c.creator_id,
            next_exec: c.next_exec,
            schedule: c.schedule.clone(),
            timezone: c.timezone.clone(),
            created: c.created,
            created_at: c.created,
            branch: c.branch.clone(),
            enabled: c.enabled,
            variables: c.variables.clone(),
        }
    }
}

/// The body of a cron creation or patch (`CronPatch`); ids and times are never read.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "CronPatch")]
pub struct CronInputDto {
    /// Name.
    pub name: Option<String>,
    /// Cron expression.
    pub schedule: Option<String>,
    /// IANA time zone (`UTC` when empty).
    pub timezone: Option<String>,
    /// Branch; empty means the repo's default branch.
    pub branch: Option<String>,
    /// Whether it fires (absent on creation means disabled, as upstream).
    pub enabled: Option<bool>,
    /// Variables handed to the pipelines it starts.
    pub variables: Option<BTreeMap<String, String>>,
}

impl CronInputDto {
    /// The cron this creation body describes, before the server fills ids and times.
    pub fn into_new_cron(self, repo_id: i64, creator_id: i64) -> Cron {
        Cron {
            name: self.name.unwrap_or_default(),
            repo_id,
            creator_id,
            schedule: self.schedule.unwrap_or_default(),
            timezone: self.timezone.filter(|t| !t.is_empty()).unwrap_or_else(|| "UTC".into()),
            branch: self.branch.unwrap_or_default(),
            enabled: self.enabled.unwrap_or(false),
            variables: self.variables.unwrap_or_default(),
            ..Cron::default()
        }
    }

    /// Applies a patch as upstream does: empty strings are ignored, not applied.
    pub fn apply(self, cron: &mut Cron) {
        let set = |field: &mut String, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                *field = value;
            }
        };
        set(&mut cron.name, self.name);
        set(&mut cron.schedule, self.schedule);
        set(&mut cron.timezone, self.timezone);
        set(&mut cron.branch, self.branch);
        if let Some(enabled) = self.enabled {
            cron.enabled = enabled;
        }
        if let Some(variables) = self.variables {
            cron.variables = variables;
        }
    }
}
