//! The rows of the `tasks` table (the durable queue of [`super::queue`]), and the store's view
//! of the tasks still queued or running.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::json::{decode, encode};
use crate::adapters::sql::queue::LIVE;
use crate::adapters::sql::schema::tasks;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::task::Task;
use crate::ports::store::{StoreError, TaskStore};

/// A task as stored; the queue's own columns (`seq`, `state`, ...) are not part of it.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tasks)]
pub(super) struct TaskRow {
    id: String,
    pid: i32,
    name: String,
    data: Vec<u8>,
    labels: String,
    dependencies: String,
    run_on: String,
    dep_status: String,
    agent_id: i64,
    pipeline_id: i64,
    repo_id: i64,
    concurrency_limit: i32,
    concurrency_group: String,
    created: i64,
}

impl TaskRow {
    pub(super) fn from_domain(t: &Task) -> Result<Self, StoreError> {
        Ok(Self {
            id: t.id.clone(),
            pid: t.pid,
            name: t.name.clone(),
            data: t.data.clone(),
            labels: encode(&t.labels, "labels")?,
            dependencies: encode(&t.dependencies, "dependencies")?,
            run_on: encode(&t.run_on, "run_on")?,
            dep_status: encode(&t.dep_status, "dep_status")?,
            agent_id: t.agent_id,
            pipeline_id: t.pipeline_id,
            repo_id: t.repo_id,
            concurrency_limit: t.concurrency_limit,
            concurrency_group: t.concurrency_group.clone(),
            created: t.created,
        })
    }

    pub(super) fn into_domain(self) -> Result<Task, StoreError> {
        Ok(Task {
            id: self.id,
            pid: self.pid,
            name: self.name,
            data: self.data,
            labels: decode(&self.labels, "labels")?,
            dependencies: decode(&self.dependencies, "dependencies")?,
            run_on: decode(&self.run_on, "run_on")?,
            dep_status: decode(&self.dep_status, "dep_status")?,
            agent_id: self.agent_id,
            pipeline_id: self.pipeline_id,
            repo_id: self.repo_id,
            concurrency_limit: self.concurrency_limit,
            concurrency_group: self.concurrency_group,
            created: self.created,
        })
    }
}

#[async_trait::async_trait]
impl TaskStore for SqlStore {
    async fn insert_task(&self, task: &Task) -> Result<(), StoreError> {
        let row = TaskRow::from_domain(task)?;
        with_conn!(self, write, "task", |c, _| diesel::insert_into(tasks::table)
            .values(&row)
            .execute(c)
            .await
            .map(drop))
    }

    async fn list_tasks(&self) -> Result<Vec<Task>, StoreError> {
        let rows = with_conn!(self, read, "task", |c, _| {
            tasks::table
                .filter(tasks::state.eq_any(LIVE))
                .order((tasks::created, tasks::id))
                .select(TaskRow::as_select())
                .load(c)
                .await
        })?;
        rows.into_iter().map(TaskRow::into_domain).collect()
    }

    async fn delete_task(&self, id: &str) -> Result<(), StoreError> {
        with_conn!(self, write, "task", |c, _| found(diesel::delete(tasks::table.find(id)).execute(c).await?))
    }
}
