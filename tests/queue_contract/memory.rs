//! The in-process queue: every handle of a test is the same queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nuthatch::adapters::memory::queue::MemoryQueue;
use nuthatch::ports::queue::Queue;

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
