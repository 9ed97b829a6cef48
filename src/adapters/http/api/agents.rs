//! `/api/agents` (server admins) and `/api/orgs/{org_id}/agents` (org admins): registering
//! agents with a random token, renaming and pausing them, their running tasks, and removing
//! them unless they are busy. Server-wide and org agents share one implementation,
//! parameterised by the org they are confined to.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::orgs::org_member;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::agent::{AgentDto, AgentInputDto, TaskDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::app::identity::random_secret;
use crate::domain::agent::{self, Agent};
use crate::domain::task::Task;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::{Page, StoreError};

/// Operations on agents.
pub struct AgentsApi {
    /// Shared state.
    pub state: AppState,
}

/// Which agents an operation may touch: any (server admins), or those of one org.
#[derive(Debug, Clone, Copy)]
enum Confine {
    /// Every agent; new ones serve every org.
    Server,
    /// Only the agents of this org; new ones serve it.
    Org(i64),
}

impl Confine {
    /// The org new agents serve, and the filter of listings.
    fn org_id(self) -> Option<i64> {
        match self {
            Confine::Server => None,
            Confine::Org(id) => Some(id),
        }
    }
}

/// 404 `Agent not found`, for unknown agents and agents of another org alike.
fn agent_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Agent not found")
}

impl AgentsApi {
    /// An agent within `confine`.
    async fn load(&self, confine: Confine, id: i64) -> Result<Agent, ApiError> {
        let agent = self.state.store.get_agent(id).await.map_err(|e| match e {
            StoreError::NotFound(_) => agent_not_found(),
            e => e.into(),
        })?;
        match confine.org_id() {
            Some(org_id) if agent.org_id != org_id => Err(agent_not_found()),
            _ => Ok(agent),
        }
    }

    /// One page of the agents within `confine`, by id.
    async fn list_in(
        &self,
        confine: Confine,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> poem::Result<Json<Vec<AgentDto>>> {
        let page = Page::new(page.unwrap_or(1), per_page.unwrap_or(Page::MAX_PER_PAGE));
        let agents = self.state.store.list_agents(confine.org_id(), page).await?;
        Ok(Json(agents.iter().map(AgentDto::from).collect()))
    }

    /// Registers an agent owned by `owner_id` with a fresh token; it registers its capacity
    /// when it first connects.
    async fn create_in(
        &self,
        confine: Confine,
        owner_id: i64,
        body: AgentInputDto,
    ) -> poem::Result<Json<AgentDto>> {
        let now = SystemClock.now();
        let agent = Agent {
            name: body.name,
            no_schedule: body.no_schedule,
            owner_id,
            org_id: confine.org_id().unwrap_or(agent::SYSTEM),
            token: random_secret(),
            created: now,
            updated: now,
            ..Agent::default()
        };
        let agent = self.state.store.create_agent(&agent).await?;
        Ok(Json(AgentDto::from(&agent)))
    }

    /// Overwrites an agent's name and scheduling flag.
    async fn patch_in(&self, confine: Confine, id: i64, body: AgentInputDto) -> poem::Result<Json<AgentDto>> {
        let mut agent = self.load(confine, id).await?;
        agent.name = body.name;
        agent.no_schedule = body.no_schedule;
        agent.updated = SystemClock.now();
        self.state.store.update_agent(&agent).await.map_err(|e| match e {
            StoreError::NotFound(_) => agent_not_found(),
            e => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        })?;
        Ok(Json(AgentDto::from(&agent)))
    }

    /// The tasks the queue has handed to an agent and not seen finish.
    async fn running_tasks(&self, agent_id: i64) -> poem::Result<Vec<Task>> {
        let info = self.state.engine.queue.info().await?;
        Ok(info.running.into_iter().filter(|t| t.agent_id == agent_id).collect())
    }

    /// Deletes an agent, refusing with 409 while it runs tasks.
    async fn delete_in(&self, confine: Confine, id: i64) -> poem::Result<NoContent> {
        let agent = self.load(confine, id).await?;
        if !self.running_tasks(agent.id).await?.is_empty() {
            return Err(ApiError::new(StatusCode::CONFLICT, "Agent has running tasks").into());
        }
        self.state.store.delete_agent(agent.id).await?;
        Ok(NoContent::NoContent)
    }
}

#[OpenApi(tag = "ApiTags::Agents")]
impl AgentsApi {
    /// One page of every agent, by id (server admins only; tokens included).
    #[oai(path = "/agents", method = "get", operation_id = "getAgents")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<AgentDto>>> {
        guard::admin(&caller)?;
        self.list_in(Confine::Server, page.0, per_page.0).await
    }

    /// Registers a server-wide agent (server admins only).
    #[oai(path = "/agents", method = "post", operation_id = "createAgent")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<AgentInputDto>,
    ) -> poem::Result<Json<AgentDto>> {
        let admin = guard::admin(&caller)?;
        self.create_in(Confine::Server, admin.id, body.0).await
    }

    /// An agent (server admins only).
    #[oai(path = "/agents/:agent_id", method = "get", operation_id = "getAgent")]
    async fn get(&self, caller: Data<&Caller>, agent_id: Path<i64>) -> poem::Result<Json<AgentDto>> {
        guard::admin(&caller)?;
        Ok(Json(AgentDto::from(&self.load(Confine::Server, agent_id.0).await?)))
    }

    /// The tasks an agent is running (server admins only).
    #[oai(path = "/agents/:agent_id/tasks", method = "get", operation_id = "getAgentTasks")]
    async fn tasks(&self, caller: Data<&Caller>, agent_id: Path<i64>) -> poem::Result<Json<Vec<TaskDto>>> {
        guard::admin(&caller)?;
        let agent = self.load(Confine::Server, agent_id.0).await?;
        Ok(Json(self.running_tasks(agent.id).await?.iter().map(TaskDto::from).collect()))
    }

    /// Renames an agent or (un)pauses it (server admins only).
    #[oai(path = "/agents/:agent_id", method = "patch", operation_id = "updateAgent")]
    async fn patch(
        &self,
        caller: Data<&Caller>,
        agent_id: Path<i64>,
        body: StrictJson<AgentInputDto>,
    ) -> poem::Result<Json<AgentDto>> {
        guard::admin(&caller)?;
        self.patch_in(Confine::Server, agent_id.0, body.0).await
    }

    /// Removes an agent that runs nothing (server admins only).
    #[oai(path = "/agents/:agent_id", method = "delete", operation_id = "deleteAgent")]
    async fn delete(&self, caller: Data<&Caller>, agent_id: Path<i64>) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        self.delete_in(Confine::Server, agent_id.0).await
    }

    /// One page of an org's agents (org admins).
    #[oai(path = "/orgs/:org_id/agents", method = "get", operation_id = "getOrgAgents")]
    async fn org_list(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<AgentDto>>> {
        let (org, _) = org_member(&self.state, &caller, org_id.0, true).await?;
        self.list_in(Confine::Org(org.id), page.0, per_page.0).await
    }

    /// Registers an agent serving one org, owned by the caller (org admins).
    #[oai(path = "/orgs/:org_id/agents", method = "post", operation_id = "createOrgAgent")]
    async fn org_create(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        body: StrictJson<AgentInputDto>,
    ) -> poem::Result<Json<AgentDto>> {
        let (org, user) = org_member(&self.state, &caller, org_id.0, true).await?;
        self.create_in(Confine::Org(org.id), user.id, body.0).await
    }

    /// Renames or (un)pauses an org's agent (org admins).
    #[oai(path = "/orgs/:org_id/agents/:agent_id", method = "patch", operation_id = "updateOrgAgent")]
    async fn org_patch(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        agent_id: Path<i64>,
        body: StrictJson<AgentInputDto>,
    ) -> poem::Result<Json<AgentDto>> {
        let (org, _) = org_member(&self.state, &caller, org_id.0, true).await?;
        self.patch_in(Confine::Org(org.id), agent_id.0, body.0).await
    }

    /// Removes an org's agent that runs nothing (org admins).
    #[oai(path = "/orgs/:org_id/agents/:agent_id", method = "delete", operation_id = "deleteOrgAgent")]
    async fn org_delete(
        &self,
        caller: Data<&Caller>,
        org_id: Path<i64>,
        agent_id: Path<i64>,
    ) -> poem::Result<NoContent> {
        let (org, _) = org_member(&self.state, &caller, org_id.0, true).await?;
        self.delete_in(Confine::Org(org.id), agent_id.0).await
    }
}
