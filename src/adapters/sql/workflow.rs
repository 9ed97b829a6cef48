//! Workflows and steps in SQL. A pipeline's tree is read with two queries (workflows, then
//! steps) and assembled by the steps' `ppid`.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode, from_name, name_of};
use crate::adapters::sql::schema::{steps, workflows};
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::workflow::{Step, Workflow};
use crate::ports::store::{StoreError, WorkflowStore, WorkflowTree};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = workflows)]
struct WorkflowRow {
    #[diesel(skip_insertion)]
    id: i64,
    pipeline_id: i64,
    pid: i32,
    name: String,
    state: String,
    error: String,
    started: i64,
    finished: i64,
    agent_id: i64,
    platform: String,
    environ: String,
    axis_id: i32,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = steps)]
struct StepRow {
    #[diesel(skip_insertion)]
    id: i64,
    uuid: String,
    pipeline_id: i64,
    pid: i32,
    ppid: i32,
    name: String,
    state: String,
    error: String,
    failure: String,
    exit_code: i32,
    started: i64,
    finished: i64,
    step_type: String,
}

impl WorkflowRow {
    fn from_domain(w: &Workflow) -> Result<Self, StoreError> {
        Ok(Self {
            id: w.id,
            pipeline_id: w.pipeline_id,
            pid: w.pid,
            name: w.name.clone(),
            state: w.state.as_str().to_owned(),
            error: w.error.clone(),
            started: w.started,
            finished: w.finished,
            agent_id: w.agent_id,
            platform: w.platform.clone(),
            environ: encode(&w.environ, "environ")?,
            axis_id: w.axis_id,
        })
    }

    fn into_domain(self) -> Result<Workflow, StoreError> {
        Ok(Workflow {
            id: self.id,
            pipeline_id: self.pipeline_id,
            pid: self.pid,
            name: self.name,
            state: from_name(&self.state, "state")?,
            error: self.error,
            started: self.started,
            finished: self.finished,
            agent_id: self.agent_id,
            platform: self.platform,
            environ: decode(&self.environ, "environ")?,
            axis_id: self.axis_id,
        })
    }
}

impl StepRow {
    fn from_domain(s: &Step) -> Result<Self, StoreError> {
        Ok(Self {
            id: s.id,
            uuid: s.uuid.clone(),
            pipeline_id: s.pipeline_id,
            pid: s.pid,
            ppid: s.ppid,
            name: s.name.clone(),
            state: s.state.as_str().to_owned(),
            error: s.error.clone(),
            failure: name_of(&s.failure, "failure")?,
            exit_code: s.exit_code,
            started: s.started,
            finished: s.finished,
            step_type: name_of(&s.step_type, "step_type")?,
        })
    }

    fn into_domain(self) -> Result<Step, StoreError> {
        Ok(Step {
            id: self.id,
            uuid: self.uuid,
            pipeline_id: self.pipeline_id,
            pid: self.pid,
            ppid: self.ppid,
            name: self.name,
            state: from_name(&self.state, "state")?,
            error: self.error,
            failure: from_name(&self.failure, "failure")?,
            exit_code: self.exit_code,
            started: self.started,
            finished: self.finished,
            step_type: from_name(&self.step_type, "step_type")?,
        })
    }
}

/// Hangs each step under the workflow whose pid is its ppid (steps of unknown workflows are dropped).
fn assemble(workflows: Vec<Workflow>, steps: Vec<Step>) -> Vec<WorkflowTree> {
    let mut trees: BTreeMap<i32, WorkflowTree> =
        workflows.into_iter().map(|w| (w.pid, WorkflowTree { workflow: w, steps: Vec::new() })).collect();
    for step in steps {
        if let Some(tree) = trees.get_mut(&step.ppid) {
            tree.steps.push(step);
        }
    }
    trees.into_values().collect()
}

#[async_trait::async_trait]
impl WorkflowStore for SqlStore {
    async fn create_workflows(&self, trees: &[WorkflowTree]) -> Result<Vec<WorkflowTree>, StoreError> {
        let rows = trees
            .iter()
            .map(|t| {
                let steps = t.steps.iter().map(StepRow::from_domain).collect::<Result<Vec<_>, _>>()?;
                Ok((WorkflowRow::from_domain(&t.workflow)?, steps))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let ids: Vec<(i64, Vec<i64>)> = with_conn!(self, write, "workflow", |c, d| {
            write_transaction(c, async |c| {
                let mut ids = Vec::with_capacity(rows.len());
                for (workflow, steps) in &rows {
                    diesel::insert_into(workflows::table).values(workflow).execute(c).await?;
                    let workflow_id = last_insert_id(c, d).await?;
                    let mut step_ids = Vec::with_capacity(steps.len());
                    for step in steps {
                        diesel::insert_into(steps::table).values(step).execute(c).await?;
                        step_ids.push(last_insert_id(c, d).await?);
                    }
                    ids.push((workflow_id, step_ids));
                }
                Ok(ids)
            })
            .await
        })?;
        Ok(trees
            .iter()
            .zip(ids)
            .map(|(tree, (id, step_ids))| WorkflowTree {
                workflow: Workflow { id, ..tree.workflow.clone() },
                steps: tree.steps.iter().zip(step_ids).map(|(s, id)| Step { id, ..s.clone() }).collect(),
            })
            .collect())
    }

    async fn list_workflows(&self, pipeline_id: i64) -> Result<Vec<WorkflowTree>, StoreError> {
        let (workflow_rows, step_rows) = with_conn!(self, read, "workflow", |c, _| {
            let workflow_rows = workflows::table
                .filter(workflows::pipeline_id.eq(pipeline_id))
                .order(workflows::pid)
                .select(WorkflowRow::as_select())
                .load(c)
                .await?;
            let step_rows = steps::table
                .filter(steps::pipeline_id.eq(pipeline_id))
                .order(steps::pid)
                .select(StepRow::as_select())
                .load(c)
                .await?;
            Ok((workflow_rows, step_rows))
        })?;
        let workflows = workflow_rows.into_iter().map(WorkflowRow::into_domain).collect::<Result<_, _>>()?;
        let steps = step_rows.into_iter().map(StepRow::into_domain).collect::<Result<_, _>>()?;
        Ok(assemble(workflows, steps))
    }

    async fn get_workflow(&self, id: i64) -> Result<Workflow, StoreError> {
        with_conn!(self, read, "workflow", |c, _| workflows::table
            .find(id)
            .select(WorkflowRow::as_select())
            .first(c)
            .await)?
        .into_domain()
    }

    async fn update_workflow(&self, workflow: &Workflow) -> Result<(), StoreError> {
        let row = WorkflowRow::from_domain(workflow)?;
        with_conn!(self, write, "workflow", |c, _| {
            found(diesel::update(workflows::table.find(row.id)).set(&row).execute(c).await?)
        })
    }

    async fn delete_workflows(&self, pipeline_id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "workflow", |c, _| {
            write_transaction(c, async |c| {
                diesel::delete(steps::table.filter(steps::pipeline_id.eq(pipeline_id))).execute(c).await?;
                diesel::delete(workflows::table.filter(workflows::pipeline_id.eq(pipeline_id)))
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    async fn get_step(&self, id: i64) -> Result<Step, StoreError> {
        with_conn!(self, read, "step", |c, _| steps::table
            .find(id)
            .select(StepRow::as_select())
            .first(c)
            .await)?
        .into_domain()
    }

    async fn find_step_by_uuid(&self, uuid: &str) -> Result<Step, StoreError> {
        with_conn!(self, read, "step", |c, _| {
            steps::table.filter(steps::uuid.eq(uuid)).select(StepRow::as_select()).first(c).await
        })?
        .into_domain()
    }

    async fn update_step(&self, step: &Step) -> Result<(), StoreError> {
        let row = StepRow::from_domain(step)?;
        with_conn!(self, write, "step", |c, _| found(
            diesel::update(steps::table.find(row.id)).set(&row).execute(c).await?
        ))
    }
}
