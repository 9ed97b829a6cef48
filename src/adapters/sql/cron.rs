//! Cron schedules in SQL, with the due query (enabled crons of active repos) and the optimistic
//! claim: `UPDATE ... SET next_exec = next WHERE id = ? AND next_exec = seen` succeeds for
//! exactly one of several servers.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode};
use crate::adapters::sql::schema::{crons, repos};
use crate::adapters::sql::{SqlStore, found};
use crate::domain::cron::Cron;
use crate::ports::store::{CronStore, Page, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = crons)]
struct CronRow {
    #[diesel(skip_insertion)]
    id: i64,
    name: String,
    repo_id: i64,
    creator_id: i64,
    next_exec: i64,
    schedule: String,
    timezone: String,
    created: i64,
    branch: String,
    enabled: bool,
    variables: String,
}

impl CronRow {
    fn from_domain(c: &Cron) -> Result<Self, StoreError> {
        Ok(Self {
            id: c.id,
            name: c.name.clone(),
            repo_id: c.repo_id,
            creator_id: c.creator_id,
            next_exec: c.next_exec,
            schedule: c.schedule.clone(),
            timezone: c.timezone.clone(),
            created: c.created,
            branch: c.branch.clone(),
            enabled: c.enabled,
            variables: encode(&c.variables, "variables")?,
        })
    }

    fn into_domain(self) -> Result<Cron, StoreError> {
        Ok(Cron {
            id: self.id,
            name: self.name,
            repo_id: self.repo_id,
            creator_id: self.creator_id,
            next_exec: self.next_exec,
            schedule: self.schedule,
            timezone: self.timezone,
            created: self.created,
            branch: self.branch,
            enabled: self.enabled,
            variables: decode(&self.variables, "variables")?,
        })
    }
}

fn into_crons(rows: Vec<CronRow>) -> Result<Vec<Cron>, StoreError> {
    rows.into_iter().map(CronRow::into_domain).collect()
}

#[async_trait::async_trait]
impl CronStore for SqlStore {
    async fn create_cron(&self, cron: &Cron) -> Result<Cron, StoreError> {
        let row = CronRow::from_domain(cron)?;
        let id = with_conn!(self, write, "cron", |c, d| {
            diesel::insert_into(crons::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Cron { id, ..cron.clone() })
    }

    async fn get_cron(&self, repo_id: i64, id: i64) -> Result<Cron, StoreError> {
        with_conn!(self, read, "cron", |c, _| {
            crons::table
                .find(id)
                .filter(crons::repo_id.eq(repo_id))
                .select(CronRow::as_select())
                .first(c)
                .await
        })?
        .into_domain()
    }

    async fn list_crons(&self, repo_id: i64, page: Page) -> Result<Vec<Cron>, StoreError> {
        let rows = with_conn!(self, read, "cron", |c, _| {
            crons::table
                .filter(crons::repo_id.eq(repo_id))
                .order((crons::name, crons::id))
                .limit(page.limit())
                .offset(page.offset())
                .select(CronRow::as_select())
                .load(c)
                .await
        })?;
        into_crons(rows)
    }

    async fn update_cron(&self, cron: &Cron) -> Result<(), StoreError> {
        let row = CronRow::from_domain(cron)?;
        with_conn!(self, write, "cron", |c, _| found(
            diesel::update(crons::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_cron(&self, repo_id: i64, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "cron", |c, _| {
            found(diesel::delete(crons::table.find(id).filter(crons::repo_id.eq(repo_id))).execute(c).await?)
        })
    }

    async fn due_crons(&self, now: i64, limit: i64) -> Result<Vec<Cron>, StoreError> {
        let rows = with_conn!(self, read, "cron", |c, _| {
            crons::table
                .inner_join(repos::table)
                .filter(crons::enabled.eq(true))
                .filter(crons::next_exec.le(now))
                .filter(repos::active.eq(true))
                .order((crons::next_exec, crons::id))
                .limit(limit)
                .select(CronRow::as_select())
                .load(c)
                .await
        })?;
        into_crons(rows)
    }

    async fn claim_cron(&self, id: i64, seen: i64, next: i64) -> Result<bool, StoreError> {
        with_conn!(self, write, "cron", |c, _| {
            let still_seen = crons::table.find(id).filter(crons::next_exec.eq(seen));
            Ok(diesel::update(still_seen).set(crons::next_exec.eq(next)).execute(c).await? == 1)
        })
    }
}
