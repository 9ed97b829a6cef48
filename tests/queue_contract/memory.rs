//! The in-process queue, alone and journaled in a store (the server's default): every handle of
//! a test is the same queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nuthatch::adapters::memory::queue::MemoryQueue;
use nuthatch::adapters::sql::SqlStore;
use nuthatch::app::queue_journal::JournaledQueue;
use nuthatch::ports::queue::Queue;

use crate::db::TestDb;
use crate::queue_contract::Backend;

/// A queue created by the first `open`, with that lease.
pub struct Memory(Mutex<Option<Arc<MemoryQueue>>>);

/// A fresh in-process backend.
pub async fn backend() -> Memory {
    Memory(Mutex::new(None))
}

#[async_trait::async_trait]
impl Backend for Memory {
    async fn open(&self, lease: Duration) -> Arc<dyn Queue> {
        let mut queue = self.0.lock().unwrap();
        queue.get_or_insert_with(|| Arc::new(MemoryQueue::with_lease(lease))).clone()
    }
}

/// The server's default queue: the in-process queue journaled in a store on SQLite.
pub struct Journaled {
    store: Arc<SqlStore>,
    queue: Mutex<Option<Arc<JournaledQueue>>>,
    _db: TestDb,
}

/// A fresh journaled backend on a database of its own.
pub async fn journaled() -> Journaled {
    let db = TestDb::sqlite().await;
    Journaled { store: Arc::new(db.connect_again().await), queue: Mutex::new(None), _db: db }
}

#[async_trait::async_trait]
impl Backend for Journaled {
    async fn open(&self, lease: Duration) -> Arc<dyn Queue> {
        let mut queue = self.queue.lock().unwrap();
        queue
            .get_or_insert_with(|| {
                Arc::new(JournaledQueue::new(Arc::new(MemoryQueue::with_lease(lease)), self.store.clone()))
            })
            .clone()
    }
}
