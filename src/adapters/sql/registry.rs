//! Registry credentials in SQL; a scope is the pair `(org_id, repo_id)` with 0 for "none".

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::schema::registries;
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

impl From<RegistryRow> for Registry {
    fn from(r: RegistryRow) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            repo_id: r.repo_id,
            address: r.address,
            username: r.username,
            password: r.password,
            readonly: r.readonly,
        }
    }
}

#[async_trait::async_trait]
impl RegistryStore for SqlStore {
    async fn create_registry(&self, registry: &Registry) -> Result<Registry, StoreError> {
        let row = RegistryRow::from(registry);
        let id = with_conn!(self, write, "registry", |c, d| {
            diesel::insert_into(registries::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
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
        })
        .map(Registry::from)
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
        Ok(rows.into_iter().map(Registry::from).collect())
    }

    async fn update_registry(&self, registry: &Registry) -> Result<(), StoreError> {
        let row = RegistryRow::from(registry);
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
