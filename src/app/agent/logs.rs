//! Sending log lines in batches: lines of every workflow of the agent go through one queue to
//! one sender, which sends a batch when it holds [`BATCH_BYTES`] or when its first line has
//! waited [`FLUSH_EVERY`], so viewers see output while a step runs. A batch that cannot be sent
//! after the link's retries is dropped; resending is always safe because the server keeps one
//! copy of each step's line number.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::domain::run_report::LogLine;
use crate::ports::agent_link::AgentLink;

/// Longest a line waits before it is sent.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// A batch this big is sent at once (upstream: 1 MiB).
pub const BATCH_BYTES: usize = 1024 * 1024;
/// Lines queued before producers wait for the sender.
const QUEUED_LINES: usize = 1024;

enum Message {
    Line(LogLine),
    /// Send what is queued, then answer.
    Flush(oneshot::Sender<()>),
}

/// The producers' end; cheap to clone.
#[derive(Clone)]
pub struct LogSender {
    queue: mpsc::Sender<Message>,
}

impl LogSender {
    /// Starts the sender over `link`; it ends once every [`LogSender`] is dropped, after
    /// sending what is left.
    pub fn spawn(link: Arc<dyn AgentLink>) -> (Self, JoinHandle<()>) {
        let (queue, lines) = mpsc::channel(QUEUED_LINES);
        (Self { queue }, tokio::spawn(send_batches(link, lines)))
    }

    /// Queues a line.
    pub async fn push(&self, line: LogLine) {
        let _ = self.queue.send(Message::Line(line)).await;
    }

    /// Returns once every line queued before has been sent (or dropped).
    pub async fn flush(&self) {
        let (done, sent) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = sent.await;
        }
    }
}

async fn send_batches(link: Arc<dyn AgentLink>, mut queue: mpsc::Receiver<Message>) {
    let mut batch = Batch::default();
    loop {
        let message = match batch.deadline {
            Some(deadline) => tokio::select! {
                message = queue.recv() => message,
                () = tokio::time::sleep_until(deadline) => {
                    batch.send(link.as_ref()).await;
                    continue;
                }
            },
            None => queue.recv().await,
        };
        match message {
            Some(Message::Line(line)) => {
                if batch.add(line) >= BATCH_BYTES {
                    batch.send(link.as_ref()).await;
                }
            }
            Some(Message::Flush(done)) => {
                batch.send(link.as_ref()).await;
                let _ = done.send(());
            }
            None => {
                batch.send(link.as_ref()).await;
                return;
            }
        }
    }
}

/// Lines waiting to be sent.
#[derive(Default)]
struct Batch {
    lines: Vec<LogLine>,
    bytes: usize,
    /// When the oldest line must be sent.
    deadline: Option<Instant>,
}

impl Batch {
    /// Adds a line; returns the batch's size.
    fn add(&mut self, line: LogLine) -> usize {
        self.deadline.get_or_insert_with(|| Instant::now() + FLUSH_EVERY);
        self.bytes += line.data.len() + line.uuid.len();
        self.lines.push(line);
        self.bytes
    }

    async fn send(&mut self, link: &dyn AgentLink) {
        if !self.lines.is_empty()
            && let Err(error) = link.log(&self.lines).await
        {
            tracing::warn!(%error, lines = self.lines.len(), "cannot send log lines; dropping them");
        }
        *self = Self::default();
    }
}
