//! `Next`: an agent's long poll for work (engine.md §1.4).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::app::agent_rpc::access::parse_workflow_id;
use crate::app::agent_rpc::done::WorkflowReport;
use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::domain::agent::Agent;
use crate::domain::status::Status;
use crate::domain::step_status::WorkflowEnd;
use crate::domain::task::Task;
use crate::ports::queue::Worker;

/// The filter label the server sets itself: which org's work an agent takes.
pub const ORG_ID_LABEL: &str = "org-id";

/// How long a `no_schedule` agent's poll waits before it returns empty (so it does not spin).
const NO_SCHEDULE_PAUSE: Duration = Duration::from_secs(1);

/// A workflow handed to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The workflow id (decimal).
    pub id: String,
    /// Minutes the agent lets it run.
    pub timeout: i64,
    /// The JSON config the agent executes.
    pub payload: Vec<u8>,
}

/// A queued task's data, as upstream stores it: `{"id", "config", "timeout"}`.
#[derive(Deserialize)]
struct TaskData {
    id: String,
    config: serde_json::Value,
    #[serde(default)]
    timeout: i64,
}

/// The assignment a task's data describes.
///
/// # Errors
/// When the data is not upstream's task JSON.
pub fn decode_task_data(data: &[u8]) -> Result<Assignment, serde_json::Error> {
    let TaskData { id, config, timeout } = serde_json::from_slice(data)?;
    Ok(Assignment { id, timeout, payload: serde_json::to_vec(&config)? })
}

/// The labels an agent polls with: its own, with `org-id` set by the server (`*` for agents of
/// every org), so an agent cannot take another org's work.
pub fn worker_labels(agent: &Agent, mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let org = if agent.is_global() { "*".to_owned() } else { agent.org_id.to_string() };
    labels.insert(ORG_ID_LABEL.to_owned(), org);
    labels
}

impl AgentRpc {
    /// Waits for a workflow the agent's labels match and locks it to the agent; `None` ends the
    /// poll without work (the agent polls again). Workflows whose dependencies say they must not
    /// run are finalised as skipped here, and the poll goes on.
    ///
    /// # Errors
    /// Backend failures; [`RpcError::Rejected`] for a deleted agent.
    pub async fn next(
        &self,
        agent_id: i64,
        labels: BTreeMap<String, String>,
    ) -> Result<Option<Assignment>, RpcError> {
        let agent = self.caller(agent_id).await?;
        if agent.no_schedule {
            tokio::time::sleep(NO_SCHEDULE_PAUSE).await;
            return Ok(None);
        }
        let worker = Worker { agent_id, labels: worker_labels(&agent, labels) };
        loop {
            let Some(task) = self.engine.queue.poll(&worker).await? else {
                return Ok(None);
            };
            if let Some(assignment) = self.hand_out(&agent, task).await? {
                self.touch_work(&agent).await;
                return Ok(Some(assignment));
            }
        }
    }

    /// Locks a polled task's workflow to the agent and describes it; `None` when the task is
    /// dropped (stale) or finalised without running.
    async fn hand_out(&self, agent: &Agent, task: Task) -> Result<Option<Assignment>, RpcError> {
        let Ok(id) = parse_workflow_id(&task.id) else {
            tracing::error!(task = task.id, "dropping a queued task that names no workflow");
            self.engine.queue.done(&task.id, Status::Error).await?;
            return Ok(None);
        };
        let mut ctx = match self.load_workflow(agent.clone(), id).await {
            Ok(ctx) => ctx,
            Err(RpcError::Rejected(reason)) => {
                tracing::warn!(task = task.id, reason, "dropping a queued task whose workflow is gone");
                self.engine.queue.done(&task.id, Status::Error).await?;
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        if ctx.workflow.state.is_terminal() {
            self.engine.queue.done(&task.id, ctx.workflow.state).await?;
            return Ok(None);
        }
        ctx.workflow.agent_id = agent.id;
        if !task.should_run() {
            self.finish(&ctx.workflow, &WorkflowReport::default(), WorkflowEnd::NotRun).await?;
            return Ok(None);
        }
        match decode_task_data(&task.data) {
            Ok(assignment) => {
                self.engine.store.update_workflow(&ctx.workflow).await?;
                Ok(Some(assignment))
            }
            Err(error) => {
                let error = format!("cannot decode the queued workflow: {error}");
                tracing::error!(task = task.id, error, "failing a workflow");
                self.finish(
                    &ctx.workflow,
                    &WorkflowReport { error, ..WorkflowReport::default() },
                    WorkflowEnd::Lost,
                )
                .await?;
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::SYSTEM;

    #[test]
    fn task_data_becomes_the_assignment_with_the_config_as_payload() {
        let data = br#"{"id":"12","config":{"pipeline":[{"steps":[]}],"network":"n"},"timeout":30}"#;
        let a = decode_task_data(data).unwrap();
        assert_eq!((a.id.as_str(), a.timeout), ("12", 30));
        assert_eq!(a.payload, br#"{"pipeline":[{"steps":[]}],"network":"n"}"#);
        assert!(decode_task_data(b"{}").is_err());
    }

    #[test]
    fn the_server_sets_the_org_label() {
        let own: BTreeMap<String, String> = [("org-id".to_owned(), "99".to_owned())].into();
        let global = Agent { org_id: SYSTEM, ..Agent::default() };
        assert_eq!(worker_labels(&global, own.clone())["org-id"], "*");
        let org = Agent { org_id: 4, ..Agent::default() };
        assert_eq!(worker_labels(&org, BTreeMap::new())["org-id"], "4");
    }
}
