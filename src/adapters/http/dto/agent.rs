//! The `Agent` and `Task` wire shapes (api.md §3.11). Agents carry their token, as upstream's
//! answers to admins do; a task's payload is never written.

use std::collections::BTreeMap;

use poem_openapi::Object;

use crate::domain::agent::Agent;
use crate::domain::task::Task;

/// A registered agent.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Agent")]
pub struct AgentDto {
    /// Store id.
    pub id: i64,
    /// Unix time of creation.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
    /// Display name.
    pub name: String,
    /// User who owns it (-1 = the server).
    pub owner_id: i64,
    /// Token the agent authenticates with.
    pub token: String,
    /// Unix time it last talked to the server.
    pub last_contact: i64,
    /// Unix time it last took work.
    pub last_work: i64,
    /// `os/arch`.
    pub platform: String,
    /// Backend it executes with.
    pub backend: String,
    /// Workflows it runs at once (-1 until it registers).
    pub capacity: i32,
    /// Its software version.
    pub version: String,
    /// Takes no new work.
    pub no_schedule: bool,
    /// Labels an admin added.
    pub custom_labels: BTreeMap<String, String>,
    /// Org it serves (-1 = every org).
    pub org_id: i64,
}

impl From<&Agent> for AgentDto {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id,
            created: a.created,
            updated: a.updated,
            name: a.name.clone(),
            owner_id: a.owner_id,
            token: a.token.clone(),
            last_contact: a.last_contact,
            last_work: a.last_work,
            platform: a.platform.clone(),
            backend: a.backend.clone(),
            capacity: a.capacity,
            version: a.version.clone(),
            no_schedule: a.no_schedule,
            custom_labels: a.custom_labels.clone(),
            org_id: a.org_id,
        }
    }
}

/// The body of an agent creation or patch: only `name` and `no_schedule` are read, and both are
/// overwritten (an omitted name becomes empty, as upstream).
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "AgentInput")]
pub struct AgentInputDto {
    /// Display name.
    #[oai(default)]
    pub name: String,
    /// Takes no new work.
    #[oai(default)]
    pub no_schedule: bool,
}

/// A queued or running workflow.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Task")]
pub struct TaskDto {
    /// The workflow id.
    pub id: String,
    /// The workflow's pid.
    pub pid: i32,
    /// The workflow's name.
    pub name: String,
    /// Labels an agent must match.
    pub labels: BTreeMap<String, String>,
    /// Tasks that must finish first.
    pub dependencies: Vec<String>,
    /// Dependency outcomes it runs on.
    pub run_on: Vec<String>,
    /// Final status of each finished dependency.
    pub dep_status: BTreeMap<String, String>,
    /// Agent that took it (0 = none).
    pub agent_id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// The repo.
    pub repo_id: i64,
    /// How many tasks of its group may run at once.
    pub concurrency_limit: i32,
    /// Concurrency group key.
    pub concurrency_group: String,
    /// The pipeline's creation time.
    pub created: i64,
}

impl From<&Task> for TaskDto {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id.clone(),
            pid: t.pid,
            name: t.name.clone(),
            labels: t.labels.clone(),
            dependencies: t.dependencies.clone(),
            run_on: t.run_on.clone(),
            dep_status: t.dep_status.iter().map(|(k, s)| (k.clone(), s.as_str().to_owned())).collect(),
            agent_id: t.agent_id,
            pipeline_id: t.pipeline_id,
            repo_id: t.repo_id,
            concurrency_limit: t.concurrency_limit,
            concurrency_group: t.concurrency_group.clone(),
            created: t.created,
        }
    }
}
