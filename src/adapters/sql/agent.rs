//! Agents in SQL.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode};
use crate::adapters::sql::schema::agents;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::agent::Agent;
use crate::ports::store::{AgentStore, Page, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = agents)]
struct AgentRow {
    #[diesel(skip_insertion)]
    id: i64,
    created: i64,
    updated: i64,
    name: String,
    owner_id: i64,
    token: String,
    last_contact: i64,
    last_work: i64,
    platform: String,
    backend: String,
    capacity: i32,
    version: String,
    no_schedule: bool,
    custom_labels: String,
    org_id: i64,
}

impl AgentRow {
    fn from_domain(a: &Agent) -> Result<Self, StoreError> {
        Ok(Self {
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
            custom_labels: encode(&a.custom_labels, "custom_labels")?,
            org_id: a.org_id,
        })
    }

    fn into_domain(self) -> Result<Agent, StoreError> {
        Ok(Agent {
            id: self.id,
            created: self.created,
            updated: self.updated,
            name: self.name,
            owner_id: self.owner_id,
            token: self.token,
            last_contact: self.last_contact,
            last_work: self.last_work,
            platform: self.platform,
            backend: self.backend,
            capacity: self.capacity,
            version: self.version,
            no_schedule: self.no_schedule,
            custom_labels: decode(&self.custom_labels, "custom_labels")?,
            org_id: self.org_id,
        })
    }
}

#[async_trait::async_trait]
impl AgentStore for SqlStore {
    async fn create_agent(&self, agent: &Agent) -> Result<Agent, StoreError> {
        let row = AgentRow::from_domain(agent)?;
        let id = with_conn!(self, write, "agent", |c, d| {
            diesel::insert_into(agents::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Agent { id, ..agent.clone() })
    }

    async fn get_agent(&self, id: i64) -> Result<Agent, StoreError> {
        with_conn!(self, read, "agent", |c, _| agents::table
            .find(id)
            .select(AgentRow::as_select())
            .first(c)
            .await)?
        .into_domain()
    }

    async fn find_agent_by_token(&self, token: &str) -> Result<Agent, StoreError> {
        with_conn!(self, read, "agent", |c, _| {
            agents::table.filter(agents::token.eq(token)).select(AgentRow::as_select()).first(c).await
        })?
        .into_domain()
    }

    async fn list_agents(&self, org_id: Option<i64>, page: Page) -> Result<Vec<Agent>, StoreError> {
        let rows = with_conn!(self, read, "agent", |c, _| {
            let mut query = agents::table.into_boxed();
            if let Some(org_id) = org_id {
                query = query.filter(agents::org_id.eq(org_id));
            }
            query
                .order(agents::id)
                .limit(page.limit())
                .offset(page.offset())
                .select(AgentRow::as_select())
                .load(c)
                .await
        })?;
        rows.into_iter().map(AgentRow::into_domain).collect()
    }

    async fn update_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        let row = AgentRow::from_domain(agent)?;
        with_conn!(self, write, "agent", |c, _| found(
            diesel::update(agents::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_agent(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "agent", |c, _| found(
            diesel::delete(agents::table.find(id)).execute(c).await?
        ))
    }
}
