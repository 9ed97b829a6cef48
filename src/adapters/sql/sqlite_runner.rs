//! Where a SQLite connection runs its calls. diesel's SQLite connection blocks, so diesel-async
//! hands every call to tokio's blocking pool; that round trip (two thread wake-ups) costs more
//! than the point lookup most API requests make. Lookup connections therefore run their calls
//! inline on the async worker: in WAL mode a reader never waits for the writer's lock, so a
//! lookup by key takes microseconds. Calls that can wait (the writer queues behind
//! `busy_timeout`) or run long (whole logs, a user's every repo) keep the blocking pool.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures_util::future::{BoxFuture, FutureExt};
use tokio::runtime::Handle;
use tokio::task::{JoinError, JoinHandle};

type TaskError = Box<dyn Error + Send + Sync + 'static>;

/// How one connection runs its calls.
#[derive(Clone)]
pub enum SqliteRunner {
    /// On the calling task's thread, for short reads that never wait for a lock.
    Inline,
    /// On tokio's blocking pool, for writes and long reads.
    BlockingPool(Handle),
}

impl SqliteRunner {
    /// The blocking pool of the current runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime, where no connection is ever opened.
    pub fn blocking_pool() -> Self {
        Self::BlockingPool(Handle::current())
    }
}

impl SpawnBlocking for SqliteRunner {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, TaskError>>
    where
        R: Send + 'static,
    {
        match self {
            Self::Inline => std::future::ready(Ok(task())).boxed(),
            Self::BlockingPool(handle) => {
                let call = FinishedOnDrop { handle: handle.clone(), task: handle.spawn_blocking(task) };
                call.map(|result| result.map_err(TaskError::from)).boxed()
            }
        }
    }

    fn get_runtime() -> Self {
        Self::blocking_pool()
    }
}

/// A call on the blocking pool that, when abandoned (a timeout, a dropped request), is waited
/// for before the connection can be used again: diesel-async panics if a transaction starts
/// while an earlier call still holds the connection.
struct FinishedOnDrop<R> {
    handle: Handle,
    task: JoinHandle<R>,
}

impl<R> Future for FinishedOnDrop<R> {
    type Output = Result<R, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx)
    }
}

impl<R> Drop for FinishedOnDrop<R> {
    fn drop(&mut self) {
        if !self.task.is_finished() {
            let (handle, task) = (&self.handle, &mut self.task);
            tokio::task::block_in_place(|| drop(handle.block_on(task)));
        }
    }
}
