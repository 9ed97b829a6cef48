//! Repos and redirections in SQL. `full_name_lower` holds the full name lower-cased: the portable
//! way to a case-insensitive unique key and lookup (an expression index is not portable to
//! MariaDB, and a `_ci` collation would not exist on the other backends). Settings that are
//! never filtered on (extension endpoints) share one JSON column, as do lists.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode, from_name, name_of};
use crate::adapters::sql::schema::{redirections, registries, repos, secrets, tasks};
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::repo::{Redirection, Repo};
use crate::ports::store::{Page, RepoStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = repos)]
pub(crate) struct RepoRow {
    #[diesel(skip_insertion)]
    id: i64,
    user_id: i64,
    forge_id: i64,
    forge_remote_id: String,
    org_id: i64,
    owner: String,
    name: String,
    full_name: String,
    full_name_lower: String,
    avatar_url: String,
    forge_url: String,
    clone_url: String,
    clone_url_ssh: String,
    default_branch: String,
    pr_enabled: bool,
    timeout: i64,
    visibility: String,
    private: bool,
    trusted: String,
    require_approval: String,
    approval_allowed_users: String,
    active: bool,
    allow_pr: bool,
    allow_deploy: bool,
    config_file: String,
    cancel_previous_pipeline_events: String,
    netrc_trusted: String,
    extensions: String,
    hash: String,
}

/// The extension settings of a repo, stored together in `extensions`.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Extensions {
    config_endpoint: String,
    config_exclusive: bool,
    config_netrc: bool,
    registry_endpoint: String,
    registry_netrc: bool,
    secret_endpoint: String,
    secret_netrc: bool,
}

impl RepoRow {
    fn from_domain(r: &Repo) -> Result<Self, StoreError> {
        let extensions = Extensions {
            config_endpoint: r.config_extension_endpoint.clone(),
            config_exclusive: r.config_extension_exclusive,
            config_netrc: r.config_extension_netrc,
            registry_endpoint: r.registry_extension_endpoint.clone(),
            registry_netrc: r.registry_extension_netrc,
            secret_endpoint: r.secret_extension_endpoint.clone(),
            secret_netrc: r.secret_extension_netrc,
        };
        Ok(Self {
            id: r.id,
            user_id: r.user_id,
            forge_id: r.forge_id,
            forge_remote_id: r.forge_remote_id.clone(),
            org_id: r.org_id,
            owner: r.owner.clone(),
            name: r.name.clone(),
            full_name: r.full_name.clone(),
            full_name_lower: r.full_name.to_lowercase(),
            avatar_url: r.avatar_url.clone(),
            forge_url: r.forge_url.clone(),
            clone_url: r.clone_url.clone(),
            clone_url_ssh: r.clone_url_ssh.clone(),
            default_branch: r.default_branch.clone(),
            pr_enabled: r.pr_enabled,
            timeout: r.timeout,
            visibility: name_of(&r.visibility, "visibility")?,
            private: r.private,
            trusted: encode(&r.trusted, "trusted")?,
            require_approval: name_of(&r.require_approval, "require_approval")?,
            approval_allowed_users: encode(&r.approval_allowed_users, "approval_allowed_users")?,
            active: r.active,
            allow_pr: r.allow_pr,
            allow_deploy: r.allow_deploy,
            config_file: r.config_file.clone(),
            cancel_previous_pipeline_events: encode(
                &r.cancel_previous_pipeline_events,
                "cancel_previous_pipeline_events",
            )?,
            netrc_trusted: encode(&r.netrc_trusted, "netrc_trusted")?,
            extensions: encode(&extensions, "extensions")?,
            hash: r.hash.clone(),
        })
    }

    pub(crate) fn into_domain(self) -> Result<Repo, StoreError> {
        let ext: Extensions = decode(&self.extensions, "extensions")?;
        Ok(Repo {
            id: self.id,
            user_id: self.user_id,
            forge_id: self.forge_id,
            forge_remote_id: self.forge_remote_id,
            org_id: self.org_id,
            owner: self.owner,
            name: self.name,
            full_name: self.full_name,
            avatar_url: self.avatar_url,
            forge_url: self.forge_url,
            clone_url: self.clone_url,
            clone_url_ssh: self.clone_url_ssh,
            default_branch: self.default_branch,
            pr_enabled: self.pr_enabled,
            timeout: self.timeout,
            visibility: from_name(&self.visibility, "visibility")?,
            private: self.private,
            trusted: decode(&self.trusted, "trusted")?,
            require_approval: from_name(&self.require_approval, "require_approval")?,
            approval_allowed_users: decode(&self.approval_allowed_users, "approval_allowed_users")?,
            active: self.active,
            allow_pr: self.allow_pr,
            allow_deploy: self.allow_deploy,
            config_file: self.config_file,
            cancel_previous_pipeline_events: decode(
                &self.cancel_previous_pipeline_events,
                "cancel_previous_pipeline_events",
            )?,
            netrc_trusted: decode(&self.netrc_trusted, "netrc_trusted")?,
            config_extension_endpoint: ext.config_endpoint,
            config_extension_exclusive: ext.config_exclusive,
            config_extension_netrc: ext.config_netrc,
            registry_extension_endpoint: ext.registry_endpoint,
            registry_extension_netrc: ext.registry_netrc,
            secret_extension_endpoint: ext.secret_endpoint,
            secret_extension_netrc: ext.secret_netrc,
            hash: self.hash,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = redirections)]
struct NewRedirection<'a> {
    repo_id: i64,
    full_name: &'a str,
    full_name_lower: String,
}

#[async_trait::async_trait]
impl RepoStore for SqlStore {
    async fn create_repo(&self, repo: &Repo) -> Result<Repo, StoreError> {
        let row = RepoRow::from_domain(repo)?;
        let id = with_conn!(self, write, "repo", |c, d| {
            diesel::insert_into(repos::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Repo { id, ..repo.clone() })
    }

    async fn get_repo(&self, id: i64) -> Result<Repo, StoreError> {
        with_conn!(self, read, "repo", |c, _| repos::table
            .find(id)
            .select(RepoRow::as_select())
            .first(c)
            .await)?
        .into_domain()
    }

    async fn find_repo_by_forge_id(&self, forge_id: i64, forge_remote_id: &str) -> Result<Repo, StoreError> {
        with_conn!(self, read, "repo", |c, _| {
            repos::table
                .filter(repos::forge_id.eq(forge_id))
                .filter(repos::forge_remote_id.eq(forge_remote_id))
                .order(repos::id)
                .select(RepoRow::as_select())
                .first(c)
                .await
        })?
        .into_domain()
    }

    async fn find_repo_by_full_name(&self, full_name: &str) -> Result<Repo, StoreError> {
        let lower = full_name.to_lowercase();
        with_conn!(self, read, "repo", |c, _| {
            let named = repos::table.filter(repos::full_name_lower.eq(&lower)).select(RepoRow::as_select());
            match named.first(c).await.optional()? {
                Some(row) => Ok(row),
                None => {
                    let redirected = redirections::table.filter(redirections::full_name_lower.eq(&lower));
                    repos::table
                        .filter(repos::id.eq_any(redirected.select(redirections::repo_id)))
                        .select(RepoRow::as_select())
                        .first(c)
                        .await
                }
            }
        })?
        .into_domain()
    }

    async fn list_repos(&self, active_only: bool, page: Page) -> Result<Vec<Repo>, StoreError> {
        let rows = with_conn!(self, read, "repo", |c, _| {
            let mut query = repos::table.into_boxed();
            if active_only {
                query = query.filter(repos::active.eq(true));
            }
            query
                .order((repos::full_name, repos::id))
                .limit(page.limit())
                .offset(page.offset())
                .select(RepoRow::as_select())
                .load(c)
                .await
        })?;
        rows.into_iter().map(RepoRow::into_domain).collect()
    }

    async fn update_repo(&self, repo: &Repo) -> Result<(), StoreError> {
        let row = RepoRow::from_domain(repo)?;
        with_conn!(self, write, "repo", |c, _| found(
            diesel::update(repos::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_repo(&self, id: i64) -> Result<(), StoreError> {
        // Secrets, registries and tasks have no foreign key (0 means "no repo" there); the rest
        // goes with the repo row through ON DELETE CASCADE.
        with_conn!(self, write, "repo", |c, _| {
            write_transaction(c, async |c| {
                diesel::delete(secrets::table.filter(secrets::repo_id.eq(id))).execute(c).await?;
                diesel::delete(registries::table.filter(registries::repo_id.eq(id))).execute(c).await?;
                diesel::delete(tasks::table.filter(tasks::repo_id.eq(id))).execute(c).await?;
                found(diesel::delete(repos::table.find(id)).execute(c).await?)
            })
            .await
        })
    }

    async fn create_redirection(&self, redirection: &Redirection) -> Result<Redirection, StoreError> {
        let row = NewRedirection {
            repo_id: redirection.repo_id,
            full_name: &redirection.full_name,
            full_name_lower: redirection.full_name.to_lowercase(),
        };
        let id = with_conn!(self, write, "redirection", |c, d| {
            diesel::insert_into(redirections::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Redirection { id, ..redirection.clone() })
    }
}
