//! Opening a [`SqlStore`]: parsing the datasource, building the pools (SQLite with WAL,
//! `busy_timeout` and foreign keys on every connection), checking that the database answers,
//! and running the embedded migrations of the backend.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use deadpool::managed::Manager;
use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionResult, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::adapters::sql::datasource::Datasource;
use crate::adapters::sql::error::unavailable;
use crate::adapters::sql::sqlite_runner::SqliteRunner;
use crate::adapters::sql::{Driver, Pools, SqlStore, SqliteConn, SqlitePools, checkout};
use crate::ports::store::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free connection.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// Set on every SQLite connection: wait for locks instead of failing, enforce foreign keys,
/// let readers run beside the writer.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

impl SqlStore {
    /// Opens pools of up to `max_connections` connections to `datasource` and checks that the
    /// database answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] with one line naming the cause when the datasource is invalid
    /// or the database cannot be reached (e.g. `postgres: cannot connect to 127.0.0.1:5999:
    /// Connection refused`).
    pub async fn connect(
        driver: Driver,
        datasource: &str,
        max_connections: usize,
    ) -> Result<SqlStore, StoreError> {
        let source = Datasource::parse(driver, datasource).map_err(|m| unavailable(driver, m))?;
        let size = max_connections.max(1);
        let pools = match driver {
            Driver::Postgres => {
                Pools::Postgres(build(driver, AsyncDieselConnectionManager::new(source.url()), size)?)
            }
            Driver::Mysql => Pools::Mysql(build(driver, mysql_manager(source.url()), size)?),
            Driver::Sqlite => Pools::Sqlite(sqlite_pools(source.url(), size)?),
        };
        let store = SqlStore { driver, target: source.target().to_owned(), pools, cipher: None };
        if let Err(e) = store.select_one().await {
            let cause = match e {
                StoreError::Unavailable { message, .. } => message,
                other => other.to_string(),
            };
            let cause = match driver {
                Driver::Sqlite => cause,
                Driver::Postgres | Driver::Mysql => network_cause(&store.target).await.unwrap_or(cause),
            };
            return Err(unavailable(driver, format!("cannot connect to {}: {cause}", store.target)));
        }
        tracing::info!(driver = driver.name(), target = %store.target, "connected to the database");
        Ok(store)
    }

    /// Brings the schema up to date with the migrations embedded for the backend.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no connection can be had, [`StoreError::Unknown`] when a
    /// migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.pools {
            Pools::Postgres(pool) => {
                run_migrations(checkout(self.driver, pool).await?, POSTGRES_MIGRATIONS).await
            }
            Pools::Mysql(pool) => run_migrations(checkout(self.driver, pool).await?, MYSQL_MIGRATIONS).await,
            Pools::Sqlite(pools) => {
                run_migrations(checkout(self.driver, pools.write()).await?, SQLITE_MIGRATIONS).await
            }
        };
        result.map_err(|e| StoreError::Unknown(e.context(format!("{}: migration failed", self.driver))))
    }
}

/// Why `host:port` cannot be reached over TCP, if it cannot: the drivers' own messages often
/// drop the cause ("error connecting to server").
async fn network_cause(target: &str) -> Option<String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(target)).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// A pool with the checkout and connect timeouts.
fn build<C>(
    driver: Driver,
    manager: AsyncDieselConnectionManager<C>,
    size: usize,
) -> Result<Pool<C>, StoreError>
where
    AsyncDieselConnectionManager<C>: Manager<Type = C, Error = PoolError>,
{
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(CHECKOUT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| unavailable(driver, format!("cannot build the connection pool: {e}")))
}

/// Readers plus one writer on a file; one shared connection for `:memory:` (each connection
/// would otherwise see its own empty database), on the blocking pool like the writer.
fn sqlite_pools(path: &str, size: usize) -> Result<SqlitePools, StoreError> {
    if path == ":memory:" {
        let pool = build(Driver::Sqlite, sqlite_manager(path, SqliteRunner::blocking_pool()), 1)?;
        return Ok(SqlitePools { read: pool.clone(), scan: pool.clone(), write: pool });
    }
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
        return Err(unavailable(
            Driver::Sqlite,
            format!("cannot open {path}: directory {} does not exist", dir.display()),
        ));
    }
    Ok(SqlitePools {
        read: build(Driver::Sqlite, sqlite_manager(path, SqliteRunner::Inline), size)?,
        scan: build(Driver::Sqlite, sqlite_manager(path, SqliteRunner::blocking_pool()), size)?,
        write: build(Driver::Sqlite, sqlite_manager(path, SqliteRunner::blocking_pool()), 1)?,
    })
}

/// A pool manager whose connections run their calls as `runner` says (see `sqlite_runner`).
fn sqlite_manager(path: &str, runner: SqliteRunner) -> AsyncDieselConnectionManager<SqliteConn> {
    let mut config = ManagerConfig::default();
    // A connection to a local file cannot drop, so the default check query on every checkout
    // (a blocking-thread round trip) buys nothing; it was a third of a simple request's time.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| Box::pin(open_sqlite(url.to_owned(), runner.clone())));
    AsyncDieselConnectionManager::new_with_config(path, config)
}

/// Opens a connection (a file open and the pragmas: on the blocking pool) with its runner.
async fn open_sqlite(path: String, runner: SqliteRunner) -> ConnectionResult<SqliteConn> {
    let conn = tokio::task::spawn_blocking(move || {
        let mut conn = SqliteConnection::establish(&path)?;
        conn.batch_execute(SQLITE_PRAGMAS).map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok::<_, diesel::ConnectionError>(conn)
    })
    .await
    .map_err(|e| diesel::ConnectionError::BadConnection(format!("opening the connection failed: {e}")))??;
    Ok(SqliteConn::with_runtime(conn, runner))
}

/// Set on every MySQL/MariaDB session. Under InnoDB's default REPEATABLE READ, two writers that
/// update a missing row and then insert it take gap locks and deadlock each other; READ
/// COMMITTED locks only the rows touched, like the other two backends.
const MYSQL_SESSION: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

fn mysql_manager(url: &str) -> AsyncDieselConnectionManager<diesel_async::AsyncMysqlConnection> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| Box::pin(open_mysql(url.to_owned())));
    AsyncDieselConnectionManager::new_with_config(url, config)
}

async fn open_mysql(url: String) -> ConnectionResult<diesel_async::AsyncMysqlConnection> {
    let mut conn = diesel_async::AsyncMysqlConnection::establish(&url).await?;
    conn.batch_execute(MYSQL_SESSION).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Runs the pending migrations on a blocking thread: the harness blocks on the runtime.
async fn run_migrations<C>(conn: C, migrations: EmbeddedMigrations) -> anyhow::Result<()>
where
    C: AsyncConnection + Send + 'static,
    AsyncMigrationHarness<C>: MigrationHarness<C::Backend>,
{
    tokio::task::spawn_blocking(move || {
        AsyncMigrationHarness::new(conn)
            .run_pending_migrations(migrations)
            .map(drop)
            .map_err(|e| anyhow::anyhow!(e))
    })
    .await
    .context("migration task died")?
}
