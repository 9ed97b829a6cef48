//! The workflow an agent names in a call, and whether that agent may touch it (engine.md §1.5):
//! only the agent the workflow was handed to, and only if it serves the repo's org.

use crate::app::agent_rpc::{AgentRpc, RpcError};
use crate::domain::agent::Agent;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::workflow::Workflow;
use crate::ports::store::StoreError;

/// Upstream's rejection when an agent works on another agent's workflow.
pub const NOT_LOCKED: &str =
    "agent is not allowed to interact with workflow where it's id is not already locked";

/// Upstream's rejection when an org agent works on another org's repo.
pub const ILLEGAL_REPO: &str = "agent is not allowed to interact with repo";

/// A workflow with what it belongs to, loaded for a call of `agent`.
#[derive(Debug, Clone)]
pub struct WorkflowContext {
    /// The calling agent.
    pub agent: Agent,
    /// The workflow.
    pub workflow: Workflow,
    /// Its pipeline.
    pub pipeline: Pipeline,
    /// Its repo.
    pub repo: Repo,
}

/// A workflow id as agents send it: the decimal store id.
///
/// # Errors
/// [`RpcError::Rejected`] for anything else.
pub fn parse_workflow_id(id: &str) -> Result<i64, RpcError> {
    id.parse().map_err(|_| RpcError::rejected(format!("invalid workflow id '{id}'")))
}

/// Whether `agent` may act on `workflow` of `repo`.
///
/// # Errors
/// [`RpcError::Rejected`] with upstream's texts.
pub fn check_access(agent: &Agent, workflow: &Workflow, repo: &Repo) -> Result<(), RpcError> {
    if workflow.agent_id != agent.id {
        return Err(RpcError::rejected(NOT_LOCKED));
    }
    if !agent.is_global() && agent.org_id != repo.org_id {
        return Err(RpcError::rejected(ILLEGAL_REPO));
    }
    Ok(())
}

impl AgentRpc {
    /// Loads the workflow `workflow_id` with its pipeline and repo, and checks that the agent
    /// may act on it.
    ///
    /// # Errors
    /// [`RpcError::Rejected`] when something is missing or the agent may not.
    pub(crate) async fn workflow_for(
        &self,
        agent_id: i64,
        workflow_id: &str,
    ) -> Result<WorkflowContext, RpcError> {
        let id = parse_workflow_id(workflow_id)?;
        let agent = self.caller(agent_id).await?;
        let ctx = self.load_workflow(agent, id).await?;
        check_access(&ctx.agent, &ctx.workflow, &ctx.repo)?;
        Ok(ctx)
    }

    /// Loads a workflow with its pipeline and repo, without any check.
    pub(crate) async fn load_workflow(&self, agent: Agent, id: i64) -> Result<WorkflowContext, RpcError> {
        let store = &self.engine.store;
        let workflow = match store.get_workflow(id).await {
            Err(StoreError::NotFound(_)) => {
                return Err(RpcError::rejected(format!("workflow {id} not found")));
            }
            other => other?,
        };
        let pipeline = store.get_pipeline(workflow.pipeline_id).await?;
        let repo = store.get_repo(pipeline.repo_id).await?;
        Ok(WorkflowContext { agent, workflow, pipeline, repo })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::SYSTEM;

    fn agent(id: i64, org_id: i64) -> Agent {
        Agent { id, org_id, ..Agent::default() }
    }

    #[test]
    fn only_the_locking_agent_of_a_served_org_may_act() {
        let wf = Workflow { agent_id: 3, ..Workflow::default() };
        let repo = Repo { org_id: 5, ..Repo::default() };
        assert!(check_access(&agent(3, SYSTEM), &wf, &repo).is_ok());
        assert!(check_access(&agent(3, 5), &wf, &repo).is_ok());
        assert!(
            matches!(check_access(&agent(4, SYSTEM), &wf, &repo), Err(RpcError::Rejected(t)) if t == NOT_LOCKED)
        );
        assert!(
            matches!(check_access(&agent(3, 6), &wf, &repo), Err(RpcError::Rejected(t)) if t == ILLEGAL_REPO)
        );
    }

    #[test]
    fn workflow_ids_are_decimal() {
        assert_eq!(parse_workflow_id("42").unwrap(), 42);
        assert!(parse_workflow_id("wf-42").is_err());
    }
}
