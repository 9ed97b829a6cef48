//! Pipelines in SQL. Numbers are `MAX(number) + 1` of the repo, taken while the repo row is
//! locked by a no-op `UPDATE` in the same transaction, so concurrent creates in one repo queue
//! (row lock on PostgreSQL and MySQL, the single writer on SQLite) and get gap-free numbers.
//! Facts that are never filtered on share one JSON column, `meta`.

use std::collections::BTreeMap;

use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode, from_name};
use crate::adapters::sql::schema::{configs, pipeline_configs, pipelines, repos};
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::{CancelInfo, Pipeline, PipelineError, Release};
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::{Page, PipelineFilter, PipelineStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pipelines)]
struct PipelineRow {
    #[diesel(skip_insertion)]
    id: i64,
    repo_id: i64,
    number: i64,
    author: String,
    parent: i64,
    event: String,
    status: String,
    created: i64,
    updated: i64,
    started: i64,
    finished: i64,
    deploy_to: String,
    deploy_task: String,
    commit: String,
    branch: String,
    git_ref: String,
    refspec: String,
    title: String,
    message: String,
    timestamp: i64,
    sender: String,
    author_avatar: String,
    author_email: String,
    forge_url: String,
    reviewed_by: String,
    reviewed: i64,
    rerun_count: i64,
    cron: String,
    version: String,
    meta: String,
}

/// The facts of a pipeline stored together in `meta`.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Meta {
    event_reason: Vec<String>,
    errors: Vec<PipelineError>,
    cancel_info: Option<CancelInfo>,
    changed_files: Vec<String>,
    variables: BTreeMap<String, String>,
    pr_labels: Vec<String>,
    pr_milestone: String,
    pr_draft: bool,
    from_fork: bool,
    release: Option<Release>,
    tag_title: String,
}

impl PipelineRow {
    fn from_domain(p: &Pipeline) -> Result<Self, StoreError> {
        let meta = Meta {
            event_reason: p.event_reason.clone(),
            errors: p.errors.clone(),
            cancel_info: p.cancel_info.clone(),
            changed_files: p.changed_files.clone(),
            variables: p.variables.clone(),
            pr_labels: p.pr_labels.clone(),
            pr_milestone: p.pr_milestone.clone(),
            pr_draft: p.pr_draft,
            from_fork: p.from_fork,
            release: p.release.clone(),
            tag_title: p.tag_title.clone(),
        };
        Ok(Self {
            id: p.id,
            repo_id: p.repo_id,
            number: p.number,
            author: p.author.clone(),
            parent: p.parent,
            event: p.event.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            created: p.created,
            updated: p.updated,
            started: p.started,
            finished: p.finished,
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
            cron: p.cron.clone(),
            version: p.version.clone(),
            meta: encode(&meta, "meta")?,
        })
    }

    fn into_domain(self) -> Result<Pipeline, StoreError> {
        let meta: Meta = decode(&self.meta, "meta")?;
        Ok(Pipeline {
            id: self.id,
            repo_id: self.repo_id,
            number: self.number,
            author: self.author,
            parent: self.parent,
            event: from_name(&self.event, "event")?,
            event_reason: meta.event_reason,
            status: from_name(&self.status, "status")?,
            errors: meta.errors,
            created: self.created,
            updated: self.updated,
            started: self.started,
            finished: self.finished,
            deploy_to: self.deploy_to,
            deploy_task: self.deploy_task,
            commit: self.commit,
            branch: self.branch,
            git_ref: self.git_ref,
            refspec: self.refspec,
            title: self.title,
            message: self.message,
            timestamp: self.timestamp,
            sender: self.sender,
            author_avatar: self.author_avatar,
            author_email: self.author_email,
            forge_url: self.forge_url,
            reviewed_by: self.reviewed_by,
            reviewed: self.reviewed,
            rerun_count: self.rerun_count,
            cancel_info: meta.cancel_info,
            changed_files: meta.changed_files,
            variables: meta.variables,
            pr_labels: meta.pr_labels,
            pr_milestone: meta.pr_milestone,
            pr_draft: meta.pr_draft,
            from_fork: meta.from_fork,
            cron: self.cron,
            release: meta.release,
            tag_title: meta.tag_title,
            version: self.version,
        })
    }
}

/// `text` as a LIKE pattern matching it anywhere, with `\` escaping the wildcards.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Most ids bound in one `IN (...)` list, well under every backend's limit on bound parameters.
const IN_LIST_CHUNK: usize = 500;

fn into_pipelines(rows: Vec<PipelineRow>) -> Result<Vec<Pipeline>, StoreError> {
    rows.into_iter().map(PipelineRow::into_domain).collect()
}

#[async_trait::async_trait]
impl PipelineStore for SqlStore {
    async fn create_pipeline(&self, pipeline: &Pipeline) -> Result<Pipeline, StoreError> {
        let created = if pipeline.created == 0 { SystemClock.now() } else { pipeline.created };
        let mut row = PipelineRow::from_domain(&Pipeline { created, ..pipeline.clone() })?;
        let repo_id = row.repo_id;
        let (id, number) = with_conn!(self, write, "repo", |c, d| {
            write_transaction(c, async |c| {
                let lock = diesel::update(repos::table.find(repo_id)).set(repos::user_id.eq(repos::user_id));
                found(lock.execute(c).await?)?;
                let highest: Option<i64> = pipelines::table
                    .filter(pipelines::repo_id.eq(repo_id))
                    .select(max(pipelines::number))
                    .first(c)
                    .await?;
                row.number = highest.unwrap_or(0) + 1;
                diesel::insert_into(pipelines::table).values(&row).execute(c).await?;
                Ok((last_insert_id(c, d).await?, row.number))
            })
            .await
        })?;
        Ok(Pipeline { id, number, created, ..pipeline.clone() })
    }

    async fn get_pipeline(&self, id: i64) -> Result<Pipeline, StoreError> {
        with_conn!(self, read, "pipeline", |c, _| {
            pipelines::table.find(id).select(PipelineRow::as_select()).first(c).await
        })?
        .into_domain()
    }

    async fn find_pipeline_by_number(&self, repo_id: i64, number: i64) -> Result<Pipeline, StoreError> {
        with_conn!(self, read, "pipeline", |c, _| {
            pipelines::table
                .filter(pipelines::repo_id.eq(repo_id))
                .filter(pipelines::number.eq(number))
                .select(PipelineRow::as_select())
                .first(c)
                .await
        })?
        .into_domain()
    }

    async fn latest_pipeline(&self, repo_id: i64, branch: &str) -> Result<Pipeline, StoreError> {
        with_conn!(self, read, "pipeline", |c, _| {
            pipelines::table
                .filter(pipelines::repo_id.eq(repo_id))
                .filter(pipelines::branch.eq(branch))
                .filter(pipelines::event.eq(WebhookEvent::Push.as_str()))
                .order(pipelines::number.desc())
                .select(PipelineRow::as_select())
                .first(c)
                .await
        })?
        .into_domain()
    }

    async fn list_pipelines(
        &self,
        repo_id: i64,
        filter: &PipelineFilter,
        page: Page,
    ) -> Result<Vec<Pipeline>, StoreError> {
        let events: Vec<&str> = filter.events.iter().map(|e| e.as_str()).collect();
        let rows = with_conn!(self, read, "pipeline", |c, _| {
            let mut query = pipelines::table.filter(pipelines::repo_id.eq(repo_id)).into_boxed();
            if let Some(before) = filter.before {
                query = query.filter(pipelines::created.lt(before));
            }
            if let Some(after) = filter.after {
                query = query.filter(pipelines::created.gt(after));
            }
            if let Some(branch) = &filter.branch {
                query = query.filter(pipelines::branch.eq(branch));
            }
            if !events.is_empty() {
                query = query.filter(pipelines::event.eq_any(&events));
            }
            if let Some(status) = filter.status {
                query = query.filter(pipelines::status.eq(status.as_str()));
            }
            if let Some(text) = &filter.ref_contains {
                query = query.filter(pipelines::git_ref.like(contains_pattern(text)).escape('\\'));
            }
            query
                .order(pipelines::number.desc())
                .limit(page.limit())
                .offset(page.offset())
                .select(PipelineRow::as_select())
                .load(c)
                .await
        })?;
        into_pipelines(rows)
    }

    async fn newest_pipeline_of_each(&self, repo_ids: &[i64]) -> Result<Vec<Pipeline>, StoreError> {
        let mut newest = Vec::with_capacity(repo_ids.len());
        for chunk in repo_ids.chunks(IN_LIST_CHUNK) {
            let rows = with_conn!(self, read, "pipeline", |c, _| {
                let newest_ids: Vec<Option<i64>> = pipelines::table
                    .filter(pipelines::repo_id.eq_any(chunk))
                    .group_by(pipelines::repo_id)
                    .select(max(pipelines::id))
                    .load(c)
                    .await?;
                let newest_ids: Vec<i64> = newest_ids.into_iter().flatten().collect();
                pipelines::table
                    .filter(pipelines::id.eq_any(newest_ids))
                    .select(PipelineRow::as_select())
                    .load(c)
                    .await
            })?;
            newest.extend(into_pipelines(rows)?);
        }
        Ok(newest)
    }

    async fn recent_pipelines_of(&self, repo_ids: &[i64], limit: i64) -> Result<Vec<Pipeline>, StoreError> {
        let mut recent = Vec::new();
        for chunk in repo_ids.chunks(IN_LIST_CHUNK) {
            let rows = with_conn!(self, read, "pipeline", |c, _| {
                pipelines::table
                    .filter(pipelines::repo_id.eq_any(chunk))
                    .order((pipelines::created.desc(), pipelines::id.desc()))
                    .limit(limit)
                    .select(PipelineRow::as_select())
                    .load(c)
                    .await
            })?;
            recent.extend(into_pipelines(rows)?);
        }
        recent.sort_by_key(|p| std::cmp::Reverse((p.created, p.id)));
        recent.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(recent)
    }

    async fn update_pipeline(&self, pipeline: &Pipeline) -> Result<(), StoreError> {
        let row = PipelineRow::from_domain(pipeline)?;
        with_conn!(self, write, "pipeline", |c, _| {
            found(diesel::update(pipelines::table.find(row.id)).set(&row).execute(c).await?)
        })
    }

    async fn delete_pipeline(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "pipeline", |c, _| {
            write_transaction(c, async |c| {
                let repo_id: i64 = pipelines::table.find(id).select(pipelines::repo_id).first(c).await?;
                diesel::delete(pipelines::table.find(id)).execute(c).await?;
                let linked = pipeline_configs::table.select(pipeline_configs::config_id);
                let orphans = configs::table
                    .filter(configs::repo_id.eq(repo_id))
                    .filter(diesel::dsl::not(configs::id.eq_any(linked)));
                diesel::delete(orphans).execute(c).await?;
                Ok(())
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_the_searched_text_are_escaped() {
        assert_eq!(contains_pattern("refs/pull/1_%"), "%refs/pull/1\\_\\%%");
    }

    #[test]
    fn meta_round_trips_every_field() {
        let pipeline = Pipeline {
            event_reason: vec!["opened".into()],
            cancel_info: Some(CancelInfo { superseded_by: 4, ..CancelInfo::default() }),
            variables: BTreeMap::from([("A".into(), "1".into())]),
            pr_labels: vec!["bug".into()],
            pr_draft: true,
            from_fork: true,
            release: Some(Release { title: "v1".into(), is_prerelease: true }),
            tag_title: "v1".into(),
            ..Pipeline::default()
        };
        let row = PipelineRow::from_domain(&pipeline).unwrap();
        assert_eq!(row.into_domain().unwrap(), pipeline);
    }
}
