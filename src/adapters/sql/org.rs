//! Orgs in SQL. `name_lower` holds the name lower-cased so that the unique key and lookups
//! ignore case the same way on every backend.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::schema::orgs;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::org::Org;
use crate::ports::store::{OrgStore, Page, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = orgs)]
struct OrgRow {
    #[diesel(skip_insertion)]
    id: i64,
    forge_id: i64,
    name: String,
    name_lower: String,
    is_user: bool,
    private: bool,
}

impl From<&Org> for OrgRow {
    fn from(o: &Org) -> Self {
        Self {
            id: o.id,
            forge_id: o.forge_id,
            name: o.name.clone(),
            name_lower: o.name.to_lowercase(),
            is_user: o.is_user,
            private: o.private,
        }
    }
}

impl From<OrgRow> for Org {
    fn from(r: OrgRow) -> Self {
        Self { id: r.id, forge_id: r.forge_id, name: r.name, is_user: r.is_user, private: r.private }
    }
}

#[async_trait::async_trait]
impl OrgStore for SqlStore {
    async fn create_org(&self, org: &Org) -> Result<Org, StoreError> {
        let row = OrgRow::from(org);
        let id = with_conn!(self, write, "org", |c, d| {
            diesel::insert_into(orgs::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Org { id, ..org.clone() })
    }

    async fn get_org(&self, id: i64) -> Result<Org, StoreError> {
        with_conn!(self, read, "org", |c, _| orgs::table.find(id).select(OrgRow::as_select()).first(c).await)
            .map(Org::from)
    }

    async fn find_org_by_name(&self, forge_id: i64, name: &str) -> Result<Org, StoreError> {
        let lower = name.to_lowercase();
        with_conn!(self, read, "org", |c, _| {
            orgs::table
                .filter(orgs::forge_id.eq(forge_id))
                .filter(orgs::name_lower.eq(&lower))
                .select(OrgRow::as_select())
                .first(c)
                .await
        })
        .map(Org::from)
    }

    async fn list_orgs(&self, page: Page) -> Result<Vec<Org>, StoreError> {
        let rows = with_conn!(self, read, "org", |c, _| {
            orgs::table
                .order(orgs::id)
                .limit(page.limit())
                .offset(page.offset())
                .select(OrgRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(Org::from).collect())
    }

    async fn update_org(&self, org: &Org) -> Result<(), StoreError> {
        let row = OrgRow::from(org);
        with_conn!(self, write, "org", |c, _| found(
            diesel::update(orgs::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_org(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "org", |c, _| found(diesel::delete(orgs::table.find(id)).execute(c).await?))
    }
}
