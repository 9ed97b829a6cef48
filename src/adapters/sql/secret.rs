//! Secrets in SQL; a scope is the pair `(org_id, repo_id)` with 0 for "none". Values are
//! sealed at rest when the store has a cipher (see `sealing`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::error::query_error;
use crate::adapters::sql::json::{decode, encode};
use crate::adapters::sql::schema::secrets;
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::secret::{Scope, Secret};
use crate::ports::store::{Page, SecretStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = secrets)]
struct SecretRow {
    #[diesel(skip_insertion)]
    id: i64,
    org_id: i64,
    repo_id: i64,
    name: String,
    value: String,
    images: String,
    events: String,
    note: String,
}

impl SecretRow {
    fn from_domain(s: &Secret) -> Result<Self, StoreError> {
        Ok(Self {
            id: s.id,
            org_id: s.org_id,
            repo_id: s.repo_id,
            name: s.name.clone(),
            value: s.value.clone(),
            images: encode(&s.images, "images")?,
            events: encode(&s.events, "events")?,
            note: s.note.clone(),
        })
    }

    /// The secret, its value opened when the store seals credentials.
    fn into_domain(self, store: &SqlStore) -> Result<Secret, StoreError> {
        Ok(Secret {
            id: self.id,
            org_id: self.org_id,
            repo_id: self.repo_id,
            name: self.name,
            value: store.unseal("secret", self.id, self.value)?,
            images: decode(&self.images, "images")?,
            events: decode(&self.events, "events")?,
            note: self.note,
        })
    }
}

#[async_trait::async_trait]
impl SecretStore for SqlStore {
    async fn create_secret(&self, secret: &Secret) -> Result<Secret, StoreError> {
        let mut row = SecretRow::from_domain(secret)?;
        if self.seals() {
            row.value.clear();
        }
        let id = with_conn!(self, write, "secret", |c, d| {
            write_transaction(c, async |c| {
                diesel::insert_into(secrets::table).values(&row).execute(c).await?;
                let id = last_insert_id(c, d).await?;
                if self.seals() {
                    let value = self.seal("secret", id, &secret.value)?;
                    diesel::update(secrets::table.find(id)).set(secrets::value.eq(value)).execute(c).await?;
                }
                Ok(id)
            })
            .await
        })?;
        Ok(Secret { id, ..secret.clone() })
    }

    async fn find_secret(&self, scope: Scope, name: &str) -> Result<Secret, StoreError> {
        let (org_id, repo_id) = scope.ids();
        with_conn!(self, read, "secret", |c, _| {
            secrets::table
                .filter(secrets::org_id.eq(org_id))
                .filter(secrets::repo_id.eq(repo_id))
                .filter(secrets::name.eq(name))
                .select(SecretRow::as_select())
                .first(c)
                .await
        })?
        .into_domain(self)
    }

    async fn list_secrets(&self, scope: Scope, page: Page) -> Result<Vec<Secret>, StoreError> {
        let (org_id, repo_id) = scope.ids();
        let rows = with_conn!(self, read, "secret", |c, _| {
            secrets::table
                .filter(secrets::org_id.eq(org_id))
                .filter(secrets::repo_id.eq(repo_id))
                .order((secrets::name, secrets::id))
                .limit(page.limit())
                .offset(page.offset())
                .select(SecretRow::as_select())
                .load(c)
                .await
        })?;
        rows.into_iter().map(|row| row.into_domain(self)).collect()
    }

    async fn update_secret(&self, secret: &Secret) -> Result<(), StoreError> {
        let mut row = SecretRow::from_domain(secret)?;
        row.value =
            self.seal("secret", row.id, &row.value).map_err(|e| query_error(self.driver, "secret", e))?;
        with_conn!(self, write, "secret", |c, _| found(
            diesel::update(secrets::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_secret(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "secret", |c, _| found(
            diesel::delete(secrets::table.find(id)).execute(c).await?
        ))
    }
}
