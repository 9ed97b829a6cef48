//! Users in SQL.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::adapters::sql::dialect::last_insert_id;
use crate::adapters::sql::schema::users;
use crate::adapters::sql::{SqlStore, found};
use crate::domain::user::User;
use crate::ports::store::{Page, StoreError, UserStore};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
struct UserRow {
    #[diesel(skip_insertion)]
    id: i64,
    forge_id: i64,
    forge_remote_id: String,
    login: String,
    email: String,
    avatar_url: String,
    admin: bool,
    org_id: i64,
    access_token: String,
    refresh_token: String,
    expiry: i64,
    hash: String,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            forge_id: u.forge_id,
            forge_remote_id: u.forge_remote_id.clone(),
            login: u.login.clone(),
            email: u.email.clone(),
            avatar_url: u.avatar_url.clone(),
            admin: u.admin,
            org_id: u.org_id,
            access_token: u.access_token.clone(),
            refresh_token: u.refresh_token.clone(),
            expiry: u.expiry,
            hash: u.hash.clone(),
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            forge_id: r.forge_id,
            forge_remote_id: r.forge_remote_id,
            login: r.login,
            email: r.email,
            avatar_url: r.avatar_url,
            admin: r.admin,
            org_id: r.org_id,
            access_token: r.access_token,
            refresh_token: r.refresh_token,
            expiry: r.expiry,
            hash: r.hash,
        }
    }
}

#[async_trait::async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &User) -> Result<User, StoreError> {
        let row = UserRow::from(user);
        let id = with_conn!(self, write, "user", |c, d| {
            diesel::insert_into(users::table).values(&row).execute(c).await?;
            last_insert_id(c, d).await
        })?;
        Ok(User { id, ..user.clone() })
    }

    async fn get_user(&self, id: i64) -> Result<User, StoreError> {
        first_row!(self, "user", UserRow, users::table.find(id).select(UserRow::as_select())).map(User::from)
    }

    async fn find_user_by_login(&self, forge_id: i64, login: &str) -> Result<User, StoreError> {
        with_conn!(self, read, "user", |c, _| {
            users::table
                .filter(users::forge_id.eq(forge_id))
                .filter(users::login.eq(login))
                .select(UserRow::as_select())
                .first(c)
                .await
        })
        .map(User::from)
    }

    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let rows = with_conn!(self, read, "user", |c, _| {
            users::table
                .order((users::login, users::id))
                .limit(page.limit())
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    async fn update_user(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        with_conn!(self, write, "user", |c, _| found(
            diesel::update(users::table.find(row.id)).set(&row).execute(c).await?
        ))
    }

    async fn delete_user(&self, id: i64) -> Result<(), StoreError> {
        with_conn!(self, write, "user", |c, _| found(diesel::delete(users::table.find(id)).execute(c).await?))
    }
}
