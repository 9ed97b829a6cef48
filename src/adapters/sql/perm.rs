//! Users' repo permissions in SQL, and the user's repo list that joins them.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::repo::RepoRow;
use crate::adapters::sql::schema::{perms, repos};
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, retry_on_conflict};
use crate::domain::perm::Perm;
use crate::domain::repo::Repo;
use crate::ports::store::{PermStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = perms, primary_key(user_id, repo_id))]
struct PermRow {
    user_id: i64,
    repo_id: i64,
    pull: bool,
    push: bool,
    admin: bool,
    synced: i64,
    created: i64,
    updated: i64,
}

impl From<&Perm> for PermRow {
    fn from(p: &Perm) -> Self {
        Self {
            user_id: p.user_id,
            repo_id: p.repo_id,
            pull: p.pull,
            push: p.push,
            admin: p.admin,
            synced: p.synced,
            created: p.created,
            updated: p.updated,
        }
    }
}

impl From<PermRow> for Perm {
    fn from(r: PermRow) -> Self {
        Self {
            user_id: r.user_id,
            repo_id: r.repo_id,
            pull: r.pull,
            push: r.push,
            admin: r.admin,
            synced: r.synced,
            created: r.created,
            updated: r.updated,
        }
    }
}

impl SqlStore {
    /// Updates the stored permission, or inserts it when there is none.
    async fn update_or_insert_perm(&self, row: &PermRow) -> Result<(), StoreError> {
        with_conn!(self, write, "permission", |c, _| {
            write_transaction(c, async |c| {
                let key = perms::table.find((row.user_id, row.repo_id));
                if diesel::update(key).set(row).execute(c).await? == 0 {
                    diesel::insert_into(perms::table).values(row).execute(c).await?;
                }
                Ok(())
            })
            .await
        })
    }
}

#[async_trait::async_trait]
impl PermStore for SqlStore {
    async fn set_perm(&self, perm: &Perm) -> Result<(), StoreError> {
        let row = PermRow::from(perm);
        retry_on_conflict(|| self.update_or_insert_perm(&row)).await
    }

    async fn get_perm(&self, user_id: i64, repo_id: i64) -> Result<Perm, StoreError> {
        with_conn!(self, read, "permission", |c, _| {
            perms::table.find((user_id, repo_id)).select(PermRow::as_select()).first(c).await
        })
        .map(Perm::from)
    }

    async fn get_repo_with_perm(
        &self,
        repo_id: i64,
        user_id: i64,
    ) -> Result<(Repo, Option<Perm>), StoreError> {
        let (repo, perm) = first_row!(
            self,
            "repo",
            (RepoRow, Option<PermRow>),
            repos::table
                .left_join(perms::table.on(perms::repo_id.eq(repos::id).and(perms::user_id.eq(user_id))))
                .filter(repos::id.eq(repo_id))
                .select((RepoRow::as_select(), Option::<PermRow>::as_select()))
        )?;
        Ok((repo.into_domain()?, perm.map(Perm::from)))
    }

    async fn list_writable_repos(
        &self,
        user_id: i64,
        inactive_too: bool,
    ) -> Result<Vec<(Repo, Perm)>, StoreError> {
        let rows = with_conn!(self, scan, "repo", |c, _| {
            let mut query = perms::table
                .inner_join(repos::table)
                .filter(perms::user_id.eq(user_id))
                .filter(perms::push.or(perms::admin))
                .into_boxed();
            if !inactive_too {
                query = query.filter(repos::active.eq(true));
            }
            query
                .order((repos::full_name, repos::id))
                .select((RepoRow::as_select(), PermRow::as_select()))
                .load::<(RepoRow, PermRow)>(c)
                .await
        })?;
        rows.into_iter().map(|(repo, perm)| Ok((repo.into_domain()?, Perm::from(perm)))).collect()
    }
}
