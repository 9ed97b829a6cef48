//! Pipeline configs in SQL: each `(repo_id, hash, name)` stored once in `configs`, linked to the
//! pipelines that used it through `pipeline_configs`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::schema::{configs, pipeline_configs};
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, retry_on_conflict};
use crate::domain::config::Config;
use crate::ports::store::{ConfigStore, StoreError};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = configs)]
struct ConfigRow {
    #[diesel(skip_insertion)]
    id: i64,
    repo_id: i64,
    hash: String,
    name: String,
    data: Vec<u8>,
}

impl From<&Config> for ConfigRow {
    fn from(c: &Config) -> Self {
        Self {
            id: c.id,
            repo_id: c.repo_id,
            hash: c.hash.clone(),
            name: c.name.clone(),
            data: c.data.clone(),
        }
    }
}

impl From<ConfigRow> for Config {
    fn from(r: ConfigRow) -> Self {
        Self { id: r.id, repo_id: r.repo_id, hash: r.hash, name: r.name, data: r.data }
    }
}

impl SqlStore {
    /// One attempt at [`ConfigStore::link_configs`]; loses with `Conflict` when another pipeline
    /// stored the same config at the same time.
    async fn try_link_configs(&self, pipeline_id: i64, rows: &[ConfigRow]) -> Result<Vec<i64>, StoreError> {
        with_conn!(self, write, "config", |c, d| {
            write_transaction(c, async |c| {
                let mut ids = Vec::with_capacity(rows.len());
                for row in rows {
                    let stored: Option<i64> = configs::table
                        .filter(configs::repo_id.eq(row.repo_id))
                        .filter(configs::hash.eq(&row.hash))
                        .filter(configs::name.eq(&row.name))
                        .select(configs::id)
                        .first(c)
                        .await
                        .optional()?;
                    let id = match stored {
                        Some(id) => id,
                        None => {
                            diesel::insert_into(configs::table).values(row).execute(c).await?;
                            last_insert_id(c, d).await?
                        }
                    };
                    let link =
                        (pipeline_configs::pipeline_id.eq(pipeline_id), pipeline_configs::config_id.eq(id));
                    let linked = pipeline_configs::table
                        .filter(link.0)
                        .filter(link.1)
                        .count()
                        .get_result::<i64>(c)
                        .await?;
                    if linked == 0 {
                        diesel::insert_into(pipeline_configs::table).values(link).execute(c).await?;
                    }
                    ids.push(id);
                }
                Ok(ids)
            })
            .await
        })
    }
}

#[async_trait::async_trait]
impl ConfigStore for SqlStore {
    async fn link_configs(&self, pipeline_id: i64, configs: &[Config]) -> Result<Vec<Config>, StoreError> {
        let rows: Vec<ConfigRow> = configs.iter().map(ConfigRow::from).collect();
        let ids = retry_on_conflict(|| self.try_link_configs(pipeline_id, &rows)).await?;
        Ok(configs.iter().zip(ids).map(|(config, id)| Config { id, ..config.clone() }).collect())
    }

    async fn pipeline_configs(&self, pipeline_id: i64) -> Result<Vec<Config>, StoreError> {
        let rows = with_conn!(self, read, "config", |c, _| {
            pipeline_configs::table
                .inner_join(configs::table)
                .filter(pipeline_configs::pipeline_id.eq(pipeline_id))
                .order((configs::name, configs::id))
                .select(ConfigRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(Config::from).collect())
    }
}
