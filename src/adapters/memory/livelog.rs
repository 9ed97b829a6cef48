//! In-process live logs for a single server: a buffer per step plus a watch channel that wakes
//! the step's tails.
//!
//! Memory is bounded per step: a stream keeps at most [`MAX_STEP_BYTES`] of entries (line bytes
//! plus a fixed overhead per entry) and drops its oldest entries beyond that; a tail asking for
//! dropped entries starts at the oldest one kept. Closed streams are forgotten
//! [`CLOSED_RETENTION`] after their close, checked at most every [`SWEEP_INTERVAL`] on any call.
//! A stream that is opened by a viewer but never written nor closed stays (empty) until then.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::domain::log::LogEntry;
use crate::ports::livelog::{CLOSED_RETENTION, LiveLog, LiveLogError, Sequenced, Tail};

/// The most a step's buffer holds; older entries are dropped first.
pub const MAX_STEP_BYTES: usize = 16 << 20;

/// What an entry costs besides its line bytes.
const ENTRY_OVERHEAD: usize = size_of::<LogEntry>();

/// How often closed streams are looked for and forgotten.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// How many entries a tail takes out of the buffer at once.
const TAIL_BATCH: usize = 256;

/// Live step logs within this process.
#[derive(Debug)]
pub struct MemoryLiveLog {
    streams: Mutex<Streams>,
}

#[derive(Debug)]
struct Streams {
    by_step: HashMap<i64, Arc<StepStream>>,
    last_sweep: Instant,
}

/// One step's stream: its buffer, and a version bumped on every change to wake tails.
#[derive(Debug)]
struct StepStream {
    buffer: Mutex<Buffer>,
    changed: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Buffer {
    entries: VecDeque<LogEntry>,
    /// The sequence number of `entries[0]`.
    first_seq: u64,
    bytes: usize,
    closed_at: Option<Instant>,
}

impl MemoryLiveLog {
    /// Live logs without streams.
    pub fn new() -> Self {
        Self { streams: Mutex::new(Streams { by_step: HashMap::new(), last_sweep: Instant::now() }) }
    }

    /// The step's stream, created open and empty when missing; forgets expired closed streams
    /// on the way.
    fn stream(&self, step_id: i64) -> Arc<StepStream> {
        let mut streams = lock(&self.streams);
        let now = Instant::now();
        if now.duration_since(streams.last_sweep) >= SWEEP_INTERVAL {
            streams.by_step.retain(|_, stream| !stream.expired(now));
            streams.last_sweep = now;
        }
        let stream = streams.by_step.entry(step_id).or_insert_with(|| Arc::new(StepStream::new()));
        if stream.expired(now) {
            *stream = Arc::new(StepStream::new());
        }
        Arc::clone(stream)
    }
}

impl Default for MemoryLiveLog {
    fn default() -> Self {
        Self::new()
    }
}

/// Locks a mutex; a panic while holding it cannot leave these buffers inconsistent (every update
/// is a plain field write), so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl StepStream {
    fn new() -> Self {
        Self {
            buffer: Mutex::new(Buffer { first_seq: 1, ..Buffer::default() }),
            changed: watch::channel(0).0,
        }
    }

    fn expired(&self, now: Instant) -> bool {
        lock(&self.buffer).closed_at.is_some_and(|at| now.duration_since(at) >= CLOSED_RETENTION)
    }

    /// Applies a change to the buffer, then wakes the tails (after the change, so that a tail
    /// that saw the old version finds the new entries).
    fn update(&self, change: impl FnOnce(&mut Buffer)) {
        change(&mut lock(&self.buffer));
        self.changed.send_modify(|version| *version += 1);
    }

    /// Up to [`TAIL_BATCH`] entries after `after`, and whether the stream is closed.
    fn read_after(&self, after: u64) -> (Vec<Sequenced>, bool) {
        let buffer = lock(&self.buffer);
        let start = after.saturating_add(1).max(buffer.first_seq);
        let skip = usize::try_from(start - buffer.first_seq).unwrap_or(usize::MAX);
        let batch = (start..)
            .zip(buffer.entries.iter().skip(skip).take(TAIL_BATCH))
            .map(|(seq, entry)| Sequenced { seq, entry: entry.clone() })
            .collect();
        (batch, buffer.closed_at.is_some())
    }
}

impl Buffer {
    fn push(&mut self, entry: LogEntry) {
        self.bytes += entry.data.len() + ENTRY_OVERHEAD;
        self.entries.push_back(entry);
        while self.bytes > MAX_STEP_BYTES && self.entries.len() > 1 {
            if let Some(dropped) = self.entries.pop_front() {
                self.bytes -= dropped.data.len() + ENTRY_OVERHEAD;
                self.first_seq += 1;
            }
        }
    }
}

#[async_trait]
impl LiveLog for MemoryLiveLog {
    async fn append(&self, step_id: i64, entries: &[LogEntry]) -> Result<(), LiveLogError> {
        if !entries.is_empty() {
            self.stream(step_id).update(|buffer| entries.iter().cloned().for_each(|e| buffer.push(e)));
        }
        Ok(())
    }

    async fn close(&self, step_id: i64) -> Result<(), LiveLogError> {
        self.stream(step_id).update(|buffer| {
            buffer.closed_at.get_or_insert_with(Instant::now);
        });
        Ok(())
    }

    async fn tail(&self, step_id: i64, after: u64) -> Result<Tail, LiveLogError> {
        let stream = self.stream(step_id);
        let changes = stream.changed.subscribe();
        let state = TailState { stream, changes, after, pending: VecDeque::new() };
        Ok(Box::pin(futures_util::stream::unfold(state, TailState::next)))
    }
}

/// Where a tail stands.
struct TailState {
    stream: Arc<StepStream>,
    changes: watch::Receiver<u64>,
    /// The last sequence number handed out.
    after: u64,
    pending: VecDeque<Sequenced>,
}

impl TailState {
    /// The next entry, waiting for it while the stream is open; `None` once the stream is closed
    /// and every entry it held has been handed out.
    async fn next(mut self) -> Option<(Sequenced, Self)> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                self.after = item.seq;
                return Some((item, self));
            }
            // Marked seen before reading, so a change made after the read wakes `changed()`.
            self.changes.borrow_and_update();
            let (batch, closed) = self.stream.read_after(self.after);
            if !batch.is_empty() {
                self.pending.extend(batch);
                continue;
            }
            if closed || self.changes.changed().await.is_err() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn line(n: i32, data: &[u8]) -> LogEntry {
        LogEntry { step_id: 1, line: n, data: data.to_vec(), ..LogEntry::default() }
    }

    #[tokio::test(start_paused = true)]
    async fn closed_streams_are_forgotten_after_the_retention() {
        let live = MemoryLiveLog::new();
        live.append(1, &[line(0, b"a")]).await.unwrap();
        live.close(1).await.unwrap();
        tokio::time::advance(CLOSED_RETENTION - Duration::from_secs(1)).await;
        assert_eq!(live.tail(1, 0).await.unwrap().count().await, 1, "kept within the retention");

        tokio::time::advance(Duration::from_secs(1)).await;
        let mut tail = live.tail(1, 0).await.unwrap();
        let waited = tokio::time::timeout(Duration::from_secs(1), tail.next()).await;
        assert!(waited.is_err(), "a forgotten stream comes back open and empty");
        assert_eq!(lock(&live.streams).by_step.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn sweeps_forget_streams_nobody_asks_for_again() {
        let live = MemoryLiveLog::new();
        live.close(1).await.unwrap();
        tokio::time::advance(CLOSED_RETENTION).await;
        live.append(2, &[line(0, b"a")]).await.unwrap();
        let steps: Vec<i64> = lock(&live.streams).by_step.keys().copied().collect();
        assert_eq!(steps, [2]);
    }

    #[tokio::test]
    async fn a_step_keeps_its_newest_entries_within_its_cap() {
        let live = MemoryLiveLog::new();
        let big = vec![b'x'; 1 << 20];
        let entries: Vec<LogEntry> = (0..20).map(|n| line(n, &big)).collect();
        live.append(1, &entries).await.unwrap();
        live.close(1).await.unwrap();
        let kept: Vec<Sequenced> = live.tail(1, 0).await.unwrap().collect().await;
        let bytes: usize = kept.iter().map(|s| s.entry.data.len() + ENTRY_OVERHEAD).sum();
        assert!(bytes <= MAX_STEP_BYTES, "{bytes}");
        assert_eq!(kept.last().map(|s| (s.seq, s.entry.line)), Some((20, 19)));
        let first = kept[0].seq;
        assert!(first > 1);
        assert_eq!(kept.iter().map(|s| s.seq).collect::<Vec<_>>(), (first..=20).collect::<Vec<_>>());
    }
}
