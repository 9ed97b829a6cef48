//! The `Pipeline`, `Workflow` and `Step` wire shapes. Times appear under their 3.x names and
//! again under the seed's 2.x names (`created_at`, `start_time`, ...), which do not collide.

use std::collections::BTreeMap;

use poem_openapi::Object;

use crate::adapters::http::dto::{is_false, is_zero};
use crate::domain::config::Config;
use crate::domain::pipeline::{CancelInfo, Pipeline};
use crate::domain::workflow::{Step, Workflow};

/// A problem found while building a pipeline.
#[derive(Debug, Clone, Object)]
#[oai(rename = "PipelineError")]
pub struct PipelineErrorDto {
    /// `linter`, `deprecation`, `compiler`, `generic` or `bad_habit`.
    #[oai(rename = "type")]
    pub kind: String,
    /// What is wrong.
    pub message: String,
    /// A warning does not stop the pipeline.
    pub is_warning: bool,
    /// Extra facts (`{file, field, docs}` for linter errors).
    pub data: serde_json::Value,
}

/// Why a pipeline was canceled.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CancelInfo")]
pub struct CancelInfoDto {
    /// Login of the user who canceled it.
    #[oai(skip_serializing_if_is_empty)]
    pub canceled_by_user: String,
    /// Number of the newer pipeline that superseded it.
    #[oai(skip_serializing_if = "is_zero")]
    pub superseded_by: i64,
    /// Name of the step whose `failure: cancel` stopped it.
    #[oai(skip_serializing_if_is_empty)]
    pub canceled_by_step: String,
}

impl From<&CancelInfo> for CancelInfoDto {
    fn from(c: &CancelInfo) -> Self {
        Self {
            canceled_by_user: c.canceled_by_user.clone(),
            superseded_by: c.superseded_by,
            canceled_by_step: c.canceled_by_step.clone(),
        }
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Step")]
pub struct StepDto {
    /// Store id.
    pub id: i64,
    /// Stable unique id.
    pub uuid: String,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Position within the pipeline.
    pub pid: i32,
    /// `pid` of its workflow.
    pub ppid: i32,
    /// Name.
    pub name: String,
    /// Status.
    pub state: String,
    /// Why it errored.
    #[oai(default, skip_serializing_if_is_empty)]
    pub error: String,
    /// Exit code.
    pub exit_code: i32,
    /// Unix start time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub started: i64,
    /// Unix finish time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub finished: i64,
    /// 2.x name of `started`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub start_time: i64,
    /// 2.x name of `finished`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub end_time: i64,
    /// `clone`, `service`, `plugin`, `commands` or `cache`.
    #[oai(rename = "type")]
    pub step_type: String,
}

impl From<&Step> for StepDto {
    fn from(s: &Step) -> Self {
        Self {
            id: s.id,
            uuid: s.uuid.clone(),
            pipeline_id: s.pipeline_id,
            pid: s.pid,
            ppid: s.ppid,
            name: s.name.clone(),
            state: s.state.as_str().to_owned(),
            error: s.error.clone(),
            exit_code: s.exit_code,
            started: s.started,
            finished: s.finished,
            start_time: s.started,
            end_time: s.finished,
            step_type: serde_json::to_value(s.step_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// One workflow of a pipeline, with its steps.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Workflow")]
pub struct WorkflowDto {
    /// Store id.
    pub id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Position within the pipeline.
    pub pid: i32,
    /// Name.
    pub name: String,
    /// Status.
    pub state: String,
    /// Why it errored.
    #[oai(default, skip_serializing_if_is_empty)]
    pub error: String,
    /// Unix start time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub started: i64,
    /// Unix finish time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub finished: i64,
    /// 2.x name of `started`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub start_time: i64,
    /// 2.x name of `finished`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub end_time: i64,
    /// The agent that ran it.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub agent_id: i64,
    /// `os/arch` it ran on.
    #[oai(default, skip_serializing_if_is_empty)]
    pub platform: String,
    /// Matrix axis values.
    #[oai(default, skip_serializing_if_is_empty)]
    pub environ: BTreeMap<String, String>,
    /// Its steps.
    #[oai(default, skip_serializing_if_is_empty)]
    pub children: Vec<StepDto>,
}

impl WorkflowDto {
    /// The wire form of a workflow and its steps.
    pub fn new(w: &Workflow, steps: &[Step]) -> Self {
        Self {
            id: w.id,
            pipeline_id: w.pipeline_id,
            pid: w.pid,
            name: w.name.clone(),
            state: w.state.as_str().to_owned(),
            error: w.error.clone(),
            started: w.started,
            finished: w.finished,
            start_time: w.started,
            end_time: w.finished,
            agent_id: w.agent_id,
            platform: w.platform.clone(),
            environ: w.environ.clone(),
            children: steps.iter().map(StepDto::from).collect(),
        }
    }
}

/// A pipeline as the API shows it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Pipeline")]
pub struct PipelineDto {
    /// Store id.
    pub id: i64,
    /// Number within the repo.
    pub number: i64,
    /// Who caused it.
    pub author: String,
    /// Number of the pipeline this one restarted.
    pub parent: i64,
    /// Triggering event.
    pub event: String,
    /// Why the forge sent the event.
    pub event_reason: Vec<String>,
    /// Status.
    pub status: String,
    /// Problems found while building it.
    pub errors: Vec<PipelineErrorDto>,
    /// Unix creation time.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
    /// Unix start time.
    pub started: i64,
    /// Unix finish time.
    pub finished: i64,
    /// 2.x name of `created`.
    pub created_at: i64,
    /// 2.x name of `updated`.
    pub updated_at: i64,
    /// 2.x name of `started`.
    pub started_at: i64,
    /// 2.x name of `finished`.
    pub finished_at: i64,
    /// 2.x name of `reviewed`.
    pub reviewed_at: i64,
    /// Deployment target.
    pub deploy_to: String,
    /// Deployment task.
    pub deploy_task: String,
    /// Commit SHA.
    pub commit: String,
    /// Branch.
    pub branch: String,
    /// Git ref.
    #[oai(rename = "ref")]
    pub git_ref: String,
    /// Refspec.
    pub refspec: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Commit or trigger time.
    pub timestamp: i64,
    /// Who sent the event at the forge.
    pub sender: String,
    /// Author avatar URL.
    pub author_avatar: String,
    /// Author email.
    pub author_email: String,
    /// Link at the forge.
    pub forge_url: String,
    /// Who approved or declined it.
    pub reviewed_by: String,
    /// Unix review time.
    pub reviewed: i64,
    /// Restart count.
    pub rerun_count: i64,
    /// Why it was canceled.
    #[oai(skip_serializing_if_is_none)]
    pub cancel_info: Option<CancelInfoDto>,
    /// Files the change touched.
    #[oai(default, skip_serializing_if_is_empty)]
    pub changed_files: Vec<String>,
    /// Variables of manual, cron and restarted runs.
    #[oai(default, skip_serializing_if_is_empty)]
    pub variables: BTreeMap<String, String>,
    /// Pull request labels.
    #[oai(default, skip_serializing_if_is_empty)]
    pub pr_labels: Vec<String>,
    /// Pull request milestone.
    #[oai(default, skip_serializing_if_is_empty)]
    pub pr_milestone: String,
    /// Pull request is a draft.
    #[oai(default, skip_serializing_if = "is_false")]
    pub pr_draft: bool,
    /// Change comes from a fork.
    #[oai(default, skip_serializing_if = "is_false")]
    pub from_fork: bool,
    /// Cron name.
    #[oai(default, skip_serializing_if_is_empty)]
    pub cron: String,
    /// Tag title.
    #[oai(default, skip_serializing_if_is_empty)]
    pub tag_title: String,
    /// Pre-release (release events).
    #[oai(default, skip_serializing_if = "is_false")]
    pub is_prerelease: bool,
    /// Server version that created it.
    pub version: String,
    /// The workflow tree (single-pipeline answers only).
    #[oai(default, skip_serializing_if_is_empty)]
    pub workflows: Vec<WorkflowDto>,
}

impl From<&Pipeline> for PipelineDto {
    fn from(p: &Pipeline) -> Self {
        Self {
            id: p.id,
            number: p.number,
            author: p.author.clone(),
            parent: p.parent,
            event: p.event.as_str().to_owned(),
            event_reason: p.event_reason.clone(),
            status: p.status.as_str().to_owned(),
            errors: p
                .errors
                .iter()
                .map(|e| PipelineErrorDto {
                    kind: e.kind.clone(),
                    message: e.message.clone(),
                    is_warning: e.is_warning,
                    data: e.data.clone(),
                })
                .collect(),
            created: p.created,
            updated: p.updated,
            started: p.started,
            finished: p.finished,
            created_at: p.created,
            updated_at: p.updated,
            started_at: p.started,
            finished_at: p.finished,
            reviewed_at: p.reviewed,
            deploy_to: p.deploy_to.clone(),
            deploy_task: p.deploy_task.clone(),
            commit: p.commit.clone(),
            branch: p.branch.clone(),
            git_ref: p.git_ref.clone(),
            refspec: p.refspec.clone(),
            title: p.title.clone(),
            message: p.message.clone(),
            timestamp: p.timestamp,
            sender: p.sender.clone(),
            author_avatar: p.author_avatar.clone(),
            author_email: p.author_email.clone(),
            forge_url: p.forge_url.clone(),
            reviewed_by: p.reviewed_by.clone(),
            reviewed: p.reviewed,
            rerun_count: p.rerun_count,
            cancel_info: p.cancel_info.as_ref().map(CancelInfoDto::from),
            changed_files: p.changed_files.clone(),
            variables: p.variables.clone(),
            pr_labels: p.pr_labels.clone(),
            pr_milestone: p.pr_milestone.clone(),
            pr_draft: p.pr_draft,
            from_fork: p.from_fork,
            cron: p.cron.clone(),
            tag_title: p.tag_title.clone(),
            is_prerelease: p.release.as_ref().is_some_and(|r| r.is_prerelease),
            version: p.version.clone(),
            workflows: Vec::new(),
        }
    }
}

/// A config file a pipeline was built from (api.md §3.7).
#[derive(Debug, Clone, Object)]
#[oai(rename = "Config")]
pub struct ConfigDto {
    /// sha256 of the contents, hex.
    pub hash: String,
    /// Path of the file, e.g. `.woodpecker/build.yaml`.
    pub name: String,
    /// The file's bytes, base64.
    pub data: poem_openapi::types::Base64<Vec<u8>>,
}

impl From<&Config> for ConfigDto {
    fn from(c: &Config) -> Self {
        Self { hash: c.hash.clone(), name: c.name.clone(), data: poem_openapi::types::Base64(c.data.clone()) }
    }
}
