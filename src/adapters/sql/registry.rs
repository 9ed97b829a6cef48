//! Registry credentials in SQL; a scope is the pair `(org_id, repo_id)` with 0 for "none".
//! Passwords are sealed at rest when the store has a cipher (see `sealing`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::error::query_error;
use crate::adapters::sql::schema::registries;
use crate::adapters::sql::transaction::write_transaction;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::registry::Registry;
use crate::domain::secret::Scope;
use crate::ports::store::{Page, RegistryStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = registries)]
struct RegistryRow {
    #[diesel(skip_insertion)]
    id: i64,
    org_id: i64,
    repo_id: i64,
    address: String,
    username: String,
    password: String,
    readonly: bool,
}

impl From<&Registry> for RegistryRow {
    fn from(r: &Registry) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            repo_id: r.repo_id,
            address: r.address.clone(),
            username: r.username.clone(),
            password: r.password.clone(),
            readonly: r.readonly,
        }
    }
}

impl RegistryRow {
    /// The registry, its password opened when the store seals credentials.
    fn into_domain(self, store: &SqlStore) -> Result<Registry, StoreError> {
        Ok(Registry {
            id: self.id,
            org_id: self.org_id,
            repo_id: self.repo_id,
            address: self.address,
            username: self.username,
            password: store.unseal("registry", self.id, self.password)?,
            readonly: self.readonly,
        })
    }
}

#[async_trait::async_trait]
impl RegistryStore for SqlStore {
    async fn create_registry(&self, registry: &Registry) -> Result<Registry, StoreError> {
        let mut row = RegistryRow::from(registry);
        if self.seals() {
            row.password.clear();
        }
        let id = with_conn!(self, write, "registry", |c, d| {
            write_transaction(c, async |c| {
                diesel::insert_into(registries::table).values(&row).execute(c).await?;
                let id = last_insert_id(c, d).await?;
                if self.seals() {
                    let password = self.seal("registry", id, &registry.password)?;
                    diesel::update(registries::table.find(id))
                        .set(registries::password.eq(password))
                        .execute(c)
                        .await?;
                }
                Ok(id)
            })
            .await
        })?;
        Ok(Registry { id, ..registry.clone() })
    }

    async fn find_registry(&self, scope: Scope, address: &str) -> Result<Registry, StoreError> {
        let (org_id, repo_id) = scope.ids();
        with_conn!(self, read, "registry", |c, _| {
            registries::table
                .filter(registries::org_id.eq(org_id))
                .filter(registries::repo_id.eq(repo_id))
                .filter(registries::address.eq(address))
                .select(RegistryRow::as_select())
                .first(c)
                .await
        })?
        .into_domain(self)
    }

    async fn list_registries(&self, scope: Scope, page: Page) -> Result<Vec<Registry>, StoreError> {
        let (org_id, repo_id) = scope.ids();
        let rows = with_conn!(self, read, "registry", |c, _| {
            registries::table
                .filter(registries::org_id.eq(org_id))
                .filter(registries::repo_id.eq(repo_id))
                .order(registries::id)
                .limit(page.limit())
                .offset(page.offset())
                .select(RegistryRow::as_select())
                .load(c)
                .await
        })?;
        rows.into_iter().map(|row| row.into_domain(self)).collect()
    }

    async fn update_registry(&self, registry: &Registry) -> Result<(), StoreError> {
        let mut row = RegistryRow::from(registry);
        row.password = self
            .seal("registry", row.id, &row.password)
            .map_err(|e| query_error(self.driver, "registry", e))?;
        with_conn!(self, write, "registry", |c, _| {
            found(diesel::update(registries::table.find(row.id)).set(&row).execute(c).await?)
        })
    }

    async fn delete_registry(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "registry", |c, _| found(
            diesel::delete(registries::table.find(id)).execute(c).await?
        ))
    }
}
