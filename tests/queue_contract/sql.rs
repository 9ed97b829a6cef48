//! The SQL queue on SQLite, PostgreSQL and MariaDB: each handle is a `SqlQueue` on a store of
//! its own (pools of its own, as another server has) on the test's database.

use std::sync::Arc;
use std::time::Duration;

use nuthatch::adapters::sql::SqlQueue;
use nuthatch::ports::queue::Queue;

use crate::db::TestDb;
use crate::queue_contract::Backend;

/// A fresh database.
pub struct Sql(TestDb);

/// On SQLite.
pub async fn sqlite() -> Sql {
    Sql(TestDb::sqlite().await)
}

/// On PostgreSQL.
pub async fn postgres() -> Sql {
    Sql(TestDb::postgres().await)
}

/// On MariaDB.
pub async fn mysql() -> Sql {
    Sql(TestDb::mysql().await)
}

#[async_trait::async_trait]
impl Backend for Sql {
    async fn open(&self, lease: Duration) -> Arc<dyn Queue> {
        Arc::new(SqlQueue::with_lease(Arc::new(self.0.connect_again().await), lease))
    }
}
