//! A pipeline: one run of a repo's configuration for one event, numbered per repo.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::event::WebhookEvent;
use crate::domain::status::Status;

/// A problem found while building a pipeline from its configuration (linter, compiler, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineError {
    /// `linter`, `deprecation`, `compiler`, `generic` or `bad_habit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What is wrong.
    pub message: String,
    /// A warning does not stop the pipeline.
    pub is_warning: bool,
    /// Extra facts, e.g. `{file, field, docs}` for linter errors.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// Why a pipeline was canceled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CancelInfo {
    /// Login of the user who canceled it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub canceled_by_user: String,
    /// Number of the newer pipeline that superseded it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub superseded_by: i64,
    /// Name of the step whose `failure: cancel` stopped it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub canceled_by_step: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Release details of a `release` pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Release {
    /// Release title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Marked as a pre-release.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_prerelease: bool,
}

/// One run of a repo's pipeline configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The repo.
    pub repo_id: i64,
    /// Number within the repo, from 1, without gaps.
    pub number: i64,
    /// Login of whoever caused it.
    pub author: String,
    /// Number of the pipeline this one restarted (0 = none).
    pub parent: i64,
    /// The triggering event.
    pub event: WebhookEvent,
    /// Why the forge sent the event (e.g. PR actions).
    pub event_reason: Vec<String>,
    /// Where it stands.
    pub status: Status,
    /// Problems found while building it.
    pub errors: Vec<PipelineError>,
    /// Unix time of creation.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
    /// Unix time it started running (0 = not yet).
    pub started: i64,
    /// Unix time it finished (0 = not yet).
    pub finished: i64,
    /// Deployment target.
    pub deploy_to: String,
    /// Deployment task.
    pub deploy_task: String,
    /// Commit SHA.
    pub commit: String,
    /// Branch.
    pub branch: String,
    /// Git ref.
    pub git_ref: String,
    /// Refspec (pull requests: `source:target`).
    pub refspec: String,
    /// Title (pull request title, release title).
    pub title: String,
    /// Commit message or trigger description.
    pub message: String,
    /// Commit or trigger time.
    pub timestamp: i64,
    /// Who sent the event at the forge.
    pub sender: String,
    /// Author's avatar URL.
    pub author_avatar: String,
    /// Author's email.
    pub author_email: String,
    /// Link to the commit/PR at the forge.
    pub forge_url: String,
    /// Login of whoever approved or declined it.
    pub reviewed_by: String,
    /// Unix time of the review.
    pub reviewed: i64,
    /// How many times the run was restarted.
    pub rerun_count: i64,
    /// Why it was canceled.
    pub cancel_info: Option<CancelInfo>,
    /// Files the change touched.
    pub changed_files: Vec<String>,
    /// Variables of manual, cron and restarted runs.
    pub variables: BTreeMap<String, String>,
    /// Pull request labels.
    pub pr_labels: Vec<String>,
    /// Pull request milestone.
    pub pr_milestone: String,
    /// Pull request is a draft.
    pub pr_draft: bool,
    /// The change comes from a fork.
    pub from_fork: bool,
    /// Name of the cron that triggered it.
    pub cron: String,
    /// Release details.
    pub release: Option<Release>,
    /// Tag title (tag and release events).
    pub tag_title: String,
    /// Server version that created it.
    pub version: String,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self {
            id: 0,
            repo_id: 0,
            number: 0,
            author: String::new(),
            parent: 0,
            event: WebhookEvent::Push,
            event_reason: Vec::new(),
            status: Status::Created,
            errors: Vec::new(),
            created: 0,
            updated: 0,
            started: 0,
            finished: 0,
            deploy_to: String::new(),
            deploy_task: String::new(),
            commit: String::new(),
            branch: String::new(),
            git_ref: String::new(),
            refspec: String::new(),
            title: String::new(),
            message: String::new(),
            timestamp: 0,
            sender: String::new(),
            author_avatar: String::new(),
            author_email: String::new(),
            forge_url: String::new(),
            reviewed_by: String::new(),
            reviewed: 0,
            rerun_count: 0,
            cancel_info: None,
            changed_files: Vec::new(),
            variables: BTreeMap::new(),
            pr_labels: Vec::new(),
            pr_milestone: String::new(),
            pr_draft: false,
            from_fork: false,
            cron: String::new(),
            release: None,
            tag_title: String::new(),
            version: String::new(),
        }
    }
}

/// Markers in a commit message that mean "do not run CI for this".
const SKIP_MARKERS: [&str; 5] = ["[ci skip]", "[skip ci]", "[no ci]", "[ci-skip]", "[skip-ci]"];

/// Whether a commit message asks to skip CI (`[skip ci]`, `[ci skip]`, ..., any case).
pub fn message_skips_ci(message: &str) -> bool {
    let lower = message.to_lowercase();
    SKIP_MARKERS.iter().any(|m| lower.contains(m))
}

impl Pipeline {
    /// Whether any error (not a warning) stops it from running.
    pub fn has_blocking_errors(&self) -> bool {
        self.errors.iter().any(|e| !e.is_warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_markers_are_found_in_any_case() {
        assert!(message_skips_ci("docs: typo [skip ci]"));
        assert!(message_skips_ci("[CI SKIP] wip"));
        assert!(!message_skips_ci("skip ci without brackets"));
    }

    #[test]
    fn only_non_warnings_block() {
        let warning = PipelineError {
            kind: "bad_habit".into(),
            message: "m".into(),
            is_warning: true,
            data: serde_json::Value::Null,
        };
        let mut p = Pipeline { errors: vec![warning.clone()], ..Pipeline::default() };
        assert!(!p.has_blocking_errors());
        p.errors.push(PipelineError { is_warning: false, ..warning });
        assert!(p.has_blocking_errors());
    }

    #[test]
    fn cancel_info_omits_empty_fields_on_the_wire() {
        let info = CancelInfo { superseded_by: 7, ..CancelInfo::default() };
        assert_eq!(serde_json::to_string(&info).unwrap(), r#"{"superseded_by":7}"#);
    }
}
