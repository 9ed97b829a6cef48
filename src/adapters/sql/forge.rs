//! Configured forges in SQL.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::json::{decode, encode, from_name, name_of};
use crate::adapters::sql::schema::forges;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::forge::Forge;
use crate::ports::store::{ForgeStore, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = forges)]
struct ForgeRow {
    #[diesel(skip_insertion)]
    id: i64,
    forge_type: String,
    url: String,
    client: String,
    client_secret: String,
    skip_verify: bool,
    oauth_host: String,
    orgs: String,
    additional_options: String,
}

impl ForgeRow {
    fn from_domain(f: &Forge) -> Result<Self, StoreError> {
        Ok(Self {
            id: f.id,
            forge_type: name_of(&f.forge_type, "forge_type")?,
            url: f.url.clone(),
            client: f.client.clone(),
            client_secret: f.client_secret.clone(),
            skip_verify: f.skip_verify,
            oauth_host: f.oauth_host.clone(),
            orgs: encode(&f.orgs, "orgs")?,
            additional_options: encode(&f.additional_options, "additional_options")?,
        })
    }

    fn into_domain(self) -> Result<Forge, StoreError> {
        Ok(Forge {
            id: self.id,
            forge_type: from_name(&self.forge_type, "forge_type")?,
            url: self.url,
            client: self.client,
            client_secret: self.client_secret,
            skip_verify: self.skip_verify,
            oauth_host: self.oauth_host,
            orgs: decode(&self.orgs, "orgs")?,
            additional_options: decode(&self.additional_options, "additional_options")?,
        })
    }
}

#[async_trait::async_trait]
impl ForgeStore for SqlStore {
    async fn create_forge(&self, forge: &Forge) -> Result<Forge, StoreError> {
        let row = ForgeRow::from_domain(forge)?;
        let id = with_conn!(self, write, "forge", |c, d| {
            diesel::insert_into(forges::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(Forge { id, ..forge.clone() })
    }

    async fn get_forge(&self, id: i64) -> Result<Forge, StoreError> {
        with_conn!(self, read, "forge", |c, _| forges::table
            .find(id)
            .select(ForgeRow::as_select())
            .first(c)
            .await)?
        .into_domain()
    }

    async fn list_forges(&self) -> Result<Vec<Forge>, StoreError> {
        let rows = with_conn!(self, read, "forge", |c, _| forges::table
            .order(forges::id)
            .select(ForgeRow::as_select())
            .load(c)
            .await)?;
        rows.into_iter().map(ForgeRow::into_domain).collect()
    }

    async fn update_forge(&self, forge: &Forge) -> Result<(), StoreError> {
        let row = ForgeRow::from_domain(forge)?;
        with_conn!(self, write, "forge", |c, _| found(
            diesel::update(forges::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_forge(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "forge", |c, _| found(
            diesel::delete(forges::table.find(id)).execute(c).await?
        ))
    }
}
