//! A fresh, migrated database per test, removed when the test ends (also when it fails):
//! a temp file for SQLite; a `nuthatch_t_<random>` database created on the servers named by
//! `NUTHATCH_TEST_POSTGRES` and `NUTHATCH_TEST_MYSQL` for the others. A server that cannot be
//! reached fails the test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
};
use nuthatch::adapters::sql::{Driver, SqlStore};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_MYSQL: &str = "mysql://root@127.0.0.1:3306/test";
const POOL_SIZE: usize = 10;

/// A migrated store on a database of its own.
pub struct TestDb {
    store: Option<SqlStore>,
    cleanup: Cleanup,
    /// How to connect to it again.
    datasource: (Driver, String),
}

enum Cleanup {
    File(PathBuf),
    Database { driver: Driver, admin_url: String, name: String },
}

/// A name no other test of any run uses.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}{}_{nanos:x}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// SQLite in a temp file.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("{}.sqlite", unique_name("nuthatch_t_")));
        let datasource = (Driver::Sqlite, path.to_str().unwrap().to_string());
        let store = SqlStore::connect(Driver::Sqlite, &datasource.1, POOL_SIZE).await.unwrap();
        Self::migrated(store, Cleanup::File(path), datasource).await
    }

    /// A new database on the PostgreSQL server.
    pub async fn postgres() -> TestDb {
        Self::on_server(
            Driver::Postgres,
            std::env::var("NUTHATCH_TEST_POSTGRES").unwrap_or(DEFAULT_POSTGRES.into()),
        )
        .await
    }

    /// A new database on the MySQL/MariaDB server.
    pub async fn mysql() -> TestDb {
        Self::on_server(Driver::Mysql, std::env::var("NUTHATCH_TEST_MYSQL").unwrap_or(DEFAULT_MYSQL.into()))
            .await
    }

    async fn on_server(driver: Driver, admin_url: String) -> TestDb {
        let name = unique_name("nuthatch_t_");
        let create = match driver {
            Driver::Mysql => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
            _ => format!("CREATE DATABASE {name}"),
        };
        admin(driver, &admin_url, &create).await;
        let cleanup = Cleanup::Database { driver, admin_url: admin_url.clone(), name: name.clone() };
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let store = SqlStore::connect(driver, url.as_str(), POOL_SIZE).await;
        let store = match store {
            Ok(store) => store,
            Err(e) => {
                drop(TestDb { store: None, cleanup, datasource: (driver, url.to_string()) });
                panic!("cannot connect to the test database: {e}");
            }
        };
        Self::migrated(store, cleanup, (driver, url.to_string())).await
    }

    async fn migrated(store: SqlStore, cleanup: Cleanup, datasource: (Driver, String)) -> TestDb {
        let db = TestDb { store: Some(store), cleanup, datasource };
        db.store().migrate().await.unwrap();
        db
    }

    /// The store.
    pub fn store(&self) -> &SqlStore {
        self.store.as_ref().unwrap()
    }

    /// Another store on the same database, with pools of its own (as a second server has).
    #[allow(dead_code)]
    pub async fn connect_again(&self) -> SqlStore {
        SqlStore::connect(self.datasource.0, &self.datasource.1, POOL_SIZE).await.unwrap()
    }
}

/// One text cell of a raw query.
#[derive(diesel::QueryableByName)]
struct Cell {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

impl TestDb {
    /// The raw text of `column` of every row of `table`, by id: what the database really holds,
    /// read past the store.
    #[allow(dead_code)]
    pub async fn column(&self, table: &str, column: &str) -> Vec<String> {
        let sql = format!("SELECT {column} AS v FROM {table} ORDER BY id");
        let (driver, url) = (&self.datasource.0, self.datasource.1.as_str());
        let cells: Vec<Cell> = match driver {
            Driver::Postgres => {
                let mut conn = AsyncPgConnection::establish(url).await.unwrap();
                diesel::sql_query(sql).load(&mut conn).await.unwrap()
            }
            Driver::Mysql => {
                let mut conn = AsyncMysqlConnection::establish(url).await.unwrap();
                diesel::sql_query(sql).load(&mut conn).await.unwrap()
            }
            Driver::Sqlite => {
                let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(url).await.unwrap();
                diesel::sql_query(sql).load(&mut conn).await.unwrap()
            }
        };
        cells.into_iter().map(|c| c.v).collect()
    }
}

/// Runs one statement on the server at `url` (the admin database).
async fn admin(driver: Driver, url: &str, sql: &str) {
    let reached = match driver {
        Driver::Postgres => match AsyncPgConnection::establish(url).await {
            Ok(mut conn) => conn.batch_execute(sql).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Driver::Mysql => match AsyncMysqlConnection::establish(url).await {
            Ok(mut conn) => conn.batch_execute(sql).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Driver::Sqlite => unreachable!("SQLite needs no admin statements"),
    };
    if let Err(e) = reached {
        panic!("{driver} test server at {url}: `{sql}` failed: {e}");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop(self.store.take());
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { driver, admin_url, name } => {
                let (driver, admin_url) = (*driver, admin_url.clone());
                let sql = match driver {
                    Driver::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                // Drop cannot await, and the test's runtime may be shutting down: use a runtime
                // of its own on a thread of its own.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(admin(driver, &admin_url, &sql));
                })
                .join();
                if dropped.is_err() && !std::thread::panicking() {
                    panic!("could not drop test database {name}");
                }
            }
        }
    }
}
