//! The store on SQL: SQLite (bundled), PostgreSQL and MySQL/MariaDB through diesel-async, with
//! one schema and one text per query for all three.
//!
//! diesel-async has no async `MultiConnection`, so [`SqlStore`] holds an enum of pools and
//! [`with_conn!`] expands the same query once per backend (each arm type-checked against its
//! backend; the query must be built inside the macro). Every call runs under a timeout.
//! SQLite writes go through a single-connection pool, so concurrent writers queue instead of
//! failing with "database is locked"; reads use pools of their own (WAL lets them run beside
//! the writer): `read` for lookups, run inline, and `scan` for long reads, run on the blocking
//! pool (see `sqlite_runner`).
//!
//! # Layout
//! - [`driver`](Driver), `datasource`: driver names and datasource strings.
//! - `connect`: opening pools, checking the connection, migrations.
//! - `schema`, `dialect`, `json`, `error`: the schema, dialect gaps, JSON columns, error mapping.
//! - `sealing`: credentials sealed at rest with a [`SecretCipher`].
//! - `transaction`: write transactions (`BEGIN IMMEDIATE` on SQLite).
//! - one module per aggregate (rows, conversions and the store trait impl): `user`, `org`,
//!   `perm`, `repo`, `pipeline`, `config`, `workflow`, `log`, `agent`, `task`, `secret`,
//!   `registry`, `cron`, `forge`, `setting`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::Manager;
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};

use crate::adapters::sql::error::{query_error, unavailable};
use crate::ports::cipher::SecretCipher;
use crate::ports::store::{HealthStore, StoreError};

/// Runs `$body` on a pooled connection of `$store`, bound to `$c` (a `&mut` connection) and its
/// [`Dialect`] to `$d`, once per backend. `$mode` is `read` (a short read), `scan` (a read of
/// many rows) or `write` (SQLite writes take the single writer connection); `$entity` names the
/// record for `NotFound`/`Conflict`. The body is async code returning `diesel::QueryResult<T>`;
/// the whole call gets `Result<T, StoreError>` and is bounded by the query timeout.
///
/// The second form takes its own SQLite arm, `$sqlite`, which sees the store as `$s` and the
/// SQLite pools as `$p` (see [`first_row!`]).
macro_rules! with_conn {
    ($store:expr, $mode:ident, $entity:expr, |$c:ident, $d:pat_param| $body:expr) => {
        with_conn!($store, $entity, |$c, $d| $body, sqlite: |store, pools| {
            let mut conn = $crate::adapters::sql::checkout(store.driver, pools.$mode()).await?;
            let ($c, $d) = (&mut *conn, $crate::adapters::sql::dialect::Dialect::Sqlite);
            $crate::adapters::sql::settle(store.driver, $entity, async { $body }).await
        })
    };
    ($store:expr, $entity:expr, |$c:ident, $d:pat_param| $body:expr, sqlite: |$s:ident, $p:ident| $sqlite:expr) => {{
        let $s: &$crate::adapters::sql::SqlStore = $store;
        let entity: &'static str = $entity;
        $s.bounded(entity, async {
            match &$s.pools {
                $crate::adapters::sql::Pools::Postgres(pool) => {
                    let mut conn = $crate::adapters::sql::checkout($s.driver, pool).await?;
                    let ($c, $d) = (&mut *conn, $crate::adapters::sql::dialect::Dialect::Postgres);
                    $crate::adapters::sql::settle($s.driver, entity, async { $body }).await
                }
                $crate::adapters::sql::Pools::Mysql(pool) => {
                    let mut conn = $crate::adapters::sql::checkout($s.driver, pool).await?;
                    let ($c, $d) = (&mut *conn, $crate::adapters::sql::dialect::Dialect::Mysql);
                    $crate::adapters::sql::settle($s.driver, entity, async { $body }).await
                }
                $crate::adapters::sql::Pools::Sqlite($p) => $sqlite,
            }
        })
        .await
    }};
}

/// The first `$row` of `$query`, a query that owns its parameters, as a `with_conn!` read.
/// On SQLite it runs through diesel's synchronous API on an inline read connection: that API
/// caches statements of static queries by type and decodes rows where they lie, while the
/// async wrapper writes the SQL text and copies every row on each call (a third of a key
/// lookup's time).
macro_rules! first_row {
    ($store:expr, $entity:expr, $row:ty, $query:expr) => {
        with_conn!($store, $entity, |c, _| diesel_async::RunQueryDsl::first::<$row>($query, c).await,
            sqlite: |store, pools| $crate::adapters::sql::first_inline::<$row, _>(store.driver, $entity, pools.read(), $query).await)
    };
}

mod agent;
mod config;
mod connect;
mod cron;
mod datasource;
mod dialect;
mod driver;
mod error;
mod forge;
mod json;
mod log;
mod log_retention;
mod org;
mod perm;
mod pipeline;
mod queue;
mod registry;
mod repo;
mod schema;
mod sealing;
mod secret;
mod setting;
mod sqlite_runner;
mod task;
mod transaction;
mod user;
mod workflow;

pub use driver::{Driver, UnknownDriver};
pub use queue::SqlQueue;

/// How long one store call (connection checkout included) may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

type SqliteConn = SyncConnectionWrapper<SqliteConnection, sqlite_runner::SqliteRunner>;

/// The pools of the backend in use.
enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Mysql(Pool<AsyncMysqlConnection>),
    Sqlite(SqlitePools),
}

/// SQLite's readers and its single writer (the same one-connection pool for `:memory:`).
struct SqlitePools {
    /// Short reads, run inline.
    read: Pool<SqliteConn>,
    /// Reads of many rows, run on the blocking pool.
    scan: Pool<SqliteConn>,
    /// The single writer, on the blocking pool.
    write: Pool<SqliteConn>,
}

impl SqlitePools {
    fn read(&self) -> &Pool<SqliteConn> {
        &self.read
    }

    fn scan(&self) -> &Pool<SqliteConn> {
        &self.scan
    }

    fn write(&self) -> &Pool<SqliteConn> {
        &self.write
    }
}

/// The store on one SQL database; implements every store port. Cheap to share behind an `Arc`.
pub struct SqlStore {
    driver: Driver,
    target: String,
    pools: Pools,
    /// Seals credentials at rest when set.
    cipher: Option<Arc<dyn SecretCipher>>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("driver", &self.driver)
            .field("target", &self.target)
            .field("seals_credentials", &self.cipher.is_some())
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// The driver in use.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// Runs `call` under the query timeout.
    async fn bounded<T>(
        &self,
        entity: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(QUERY_TIMEOUT, call).await.unwrap_or_else(|_| {
            Err(unavailable(
                self.driver,
                format!("{entity} query timed out after {}s", QUERY_TIMEOUT.as_secs()),
            ))
        })
    }

    /// `SELECT 1`.
    async fn select_one(&self) -> Result<(), StoreError> {
        use diesel_async::RunQueryDsl;
        with_conn!(self, read, "connection", |c, _| diesel::sql_query("SELECT 1").execute(c).await.map(drop))
    }
}

/// A connection from `pool`; failures to get one mean the database is unavailable.
async fn checkout<C>(driver: Driver, pool: &Pool<C>) -> Result<Object<C>, StoreError>
where
    AsyncDieselConnectionManager<C>: Manager<Type = C, Error = PoolError>,
{
    pool.get().await.map_err(|e| match e {
        deadpool::managed::PoolError::Timeout(_) => unavailable(driver, "timed out waiting for a connection"),
        deadpool::managed::PoolError::Backend(e) => unavailable(driver, e.to_string()),
        other => unavailable(driver, other.to_string()),
    })
}

/// The first `R` of `query` on a connection of `pool`, through diesel's synchronous API (the
/// SQLite arm of [`first_row!`]).
async fn first_inline<R, Q>(
    driver: Driver,
    entity: &'static str,
    pool: &Pool<SqliteConn>,
    query: Q,
) -> Result<R, StoreError>
where
    Q: diesel::RunQueryDsl<SqliteConnection> + diesel::query_dsl::methods::LimitDsl + Send + 'static,
    diesel::dsl::Limit<Q>: for<'q> diesel::query_dsl::LoadQuery<'q, SqliteConnection, R>,
    R: Send + 'static,
{
    let mut conn = checkout(driver, pool).await?;
    conn.spawn_blocking(move |c| diesel::RunQueryDsl::first(query, c))
        .await
        .map_err(|e| query_error(driver, entity, e))
}

/// Awaits a query body and maps its diesel error; the bound fixes the body's error type.
async fn settle<T>(
    driver: Driver,
    entity: &'static str,
    body: impl Future<Output = diesel::QueryResult<T>>,
) -> Result<T, StoreError> {
    body.await.map_err(|e| query_error(driver, entity, e))
}

/// Turns "no row was affected" into `NotFound`, for updates and deletes by key.
fn found(affected: usize) -> diesel::QueryResult<()> {
    if affected == 0 { Err(diesel::result::Error::NotFound) } else { Ok(()) }
}

/// Runs `attempt` again once if it lost a race on a unique key (update-or-insert patterns).
async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    match attempt().await {
        Err(StoreError::Conflict(_)) => attempt().await,
        other => other,
    }
}

#[async_trait::async_trait]
impl HealthStore for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.select_one().await.map_err(|e| match e {
            StoreError::Unavailable { .. } => e,
            other => unavailable(self.driver, other.to_string()),
        })
    }
}
