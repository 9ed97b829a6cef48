//! The in-process queue of a single server (engine.md §3), with the semantics of
//! [`crate::ports::queue`].
//!
//! All state sits behind one std mutex that is never held across an `.await`: every operation
//! is a short critical section, and hand-out happens inside it, so a task can never be given to
//! two polls. Instead of upstream's 100 ms tick, whatever can make a task assignable (a push, a
//! finished dependency, a resume) hands out at once to the blocked polls, and a new poll first
//! looks for a task itself. Leases expire lazily: in [`Queue::take_expired`], [`Queue::extend`],
//! [`Queue::info`] and when a [`Queue::wait`] reaches the deadline.
//!
//! Concurrency groups (`Task::concurrency_limit`) are not enforced: every ready task is handed
//! out as soon as a worker matches it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, oneshot, watch};
use tokio::time::Instant;

use crate::domain::status::Status;
use crate::domain::task::{Task, match_labels};
use crate::ports::queue::{LEASE, Queue, QueueError, QueueInfo, QueueStats, WaitOutcome, Worker};

/// The in-process queue; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct MemoryQueue {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    lease: Duration,
    /// Woken on pause and resume, so waits blocked past a deadline re-check expiry.
    pause_changed: Notify,
}

/// Where a known task is.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// In `queued` under this sequence number.
    Queued(u64),
    Running,
}

/// A task handed out and leased.
#[derive(Debug)]
struct Running {
    task: Task,
    /// Its push order, kept so a task given back by a dropped poll regains its place.
    seq: u64,
    deadline: Instant,
    /// Tells the waits how the task left the running set.
    outcome: watch::Sender<Option<WaitOutcome>>,
}

/// A blocked poll.
#[derive(Debug)]
struct Waiter {
    worker: Worker,
    /// Receives the leased task, or `None` when kicked.
    hand: oneshot::Sender<Option<Task>>,
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    /// Tasks not handed out yet, in push order.
    queued: BTreeMap<u64, Task>,
    running: HashMap<String, Running>,
    /// Every queued or running task.
    places: HashMap<String, Place>,
    /// Blocked polls in arrival order (the first of equally good workers wins).
    waiters: BTreeMap<u64, Waiter>,
    next_waiter: u64,
    /// Expired tasks not yet taken by [`Queue::take_expired`].
    expired: Vec<Task>,
    paused: bool,
}

impl MemoryQueue {
    /// An empty queue with the standard lease ([`LEASE`]).
    pub fn new() -> Self {
        Self::with_lease(LEASE)
    }

    /// An empty queue whose handed-out tasks are leased for `lease`.
    pub fn with_lease(lease: Duration) -> Self {
        let shared = Shared { state: Mutex::default(), lease, pause_changed: Notify::new() };
        Self { shared: Arc::new(shared) }
    }
}

impl Default for MemoryQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside a critical section leaves no half-applied step behind that later calls
        // could trip over more than over a lost queue; keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn is_ready(&self, task: &Task) -> bool {
        task.dependencies.iter().all(|d| !self.places.contains_key(d))
    }

    /// Moves the queued task `seq` to running, leased to `agent_id` until `deadline`.
    fn lease(&mut self, seq: u64, agent_id: i64, deadline: Instant) -> Option<Task> {
        let mut task = self.queued.remove(&seq)?;
        task.agent_id = agent_id;
        self.places.insert(task.id.clone(), Place::Running);
        let (outcome, _) = watch::channel(None);
        self.running.insert(task.id.clone(), Running { task: task.clone(), seq, deadline, outcome });
        Some(task)
    }

    /// Puts a running task back where it was in the queue (its poll was dropped).
    fn unlease(&mut self, id: &str) {
        if let Some(running) = self.running.remove(id) {
            let mut task = running.task;
            task.agent_id = 0;
            self.places.insert(task.id.clone(), Place::Queued(running.seq));
            self.queued.insert(running.seq, task);
        }
    }

    /// The first ready task `worker` matches, leased to it.
    fn take_for(&mut self, worker: &Worker, deadline: Instant) -> Option<Task> {
        let seq = self
            .queued
            .iter()
            .find(|(_, t)| self.is_ready(t) && match_labels(&worker.labels, &t.labels).is_some())
            .map(|(seq, _)| *seq)?;
        self.lease(seq, worker.agent_id, deadline)
    }

    /// Hands ready tasks, in order, to the best-scoring blocked poll of each.
    fn dispatch(&mut self, deadline: Instant) {
        if self.paused || self.waiters.is_empty() {
            return;
        }
        let seqs: Vec<u64> = self.queued.keys().copied().collect();
        for seq in seqs {
            if self.waiters.is_empty() {
                return;
            }
            let Some(task) = self.queued.get(&seq) else { continue };
            if !self.is_ready(task) {
                continue;
            }
            let best = self
                .waiters
                .iter()
                .filter_map(|(id, w)| Some((match_labels(&w.worker.labels, &task.labels)?, *id)))
                // Highest score; among equals the earliest poll.
                .max_by_key(|(score, id)| (*score, std::cmp::Reverse(*id)));
            let Some((_, waiter_id)) = best else { continue };
            let Some(waiter) = self.waiters.remove(&waiter_id) else { continue };
            let Some(leased) = self.lease(seq, waiter.worker.agent_id, deadline) else { continue };
            if let Err(Some(unsent)) = waiter.hand.send(Some(leased)) {
                self.unlease(&unsent.id);
            }
        }
    }

    /// Records `status` of the ended task `id` on every queued task depending on it.
    fn propagate(&mut self, id: &str, status: Status) {
        for task in self.queued.values_mut().filter(|t| t.dependencies.iter().any(|d| d == id)) {
            task.dep_status.insert(id.to_string(), status);
        }
    }

    /// Removes a queued or running task, telling its waits `outcome` and its dependents `status`.
    fn finish(&mut self, id: &str, outcome: WaitOutcome, status: Status) -> Option<Task> {
        let task = match self.places.remove(id)? {
            Place::Queued(seq) => self.queued.remove(&seq)?,
            Place::Running => {
                let running = self.running.remove(id)?;
                running.outcome.send_replace(Some(outcome));
                running.task
            }
        };
        self.propagate(id, status);
        Some(task)
    }

    /// Moves the running tasks whose lease ended by `now` to `expired` (not while paused).
    fn expire(&mut self, now: Instant) -> bool {
        if self.paused {
            return false;
        }
        let due: Vec<String> =
            self.running.iter().filter(|(_, r)| r.deadline <= now).map(|(id, _)| id.clone()).collect();
        for id in &due {
            if let Some(task) = self.finish(id, WaitOutcome::Expired, Status::Failure) {
                self.expired.push(task);
            }
        }
        !due.is_empty()
    }

    fn snapshot(&self) -> QueueInfo {
        let (pending, waiting_on_deps): (Vec<Task>, Vec<Task>) =
            self.queued.values().cloned().partition(|t| self.is_ready(t));
        let mut running: Vec<&Running> = self.running.values().collect();
        running.sort_by_key(|r| r.seq);
        let running: Vec<Task> = running.into_iter().map(|r| r.task.clone()).collect();
        let stats = QueueStats {
            worker_count: self.waiters.len(),
            pending_count: pending.len(),
            waiting_on_deps_count: waiting_on_deps.len(),
            running_count: running.len(),
        };
        QueueInfo { pending, waiting_on_deps, running, stats, paused: self.paused }
    }
}

/// A blocked poll's registration; dropping it before the hand arrived unregisters the poll, and
/// a task handed to it meanwhile goes back to the queue (what makes `poll` cancel-safe).
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
    hand: Option<oneshot::Receiver<Option<Task>>>,
}

impl Registration<'_> {
    async fn received(&mut self) -> Option<Task> {
        let hand = self.hand.as_mut()?;
        let received = hand.await.unwrap_or(None);
        self.hand = None;
        received
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let Some(mut hand) = self.hand.take() else { return };
        let mut state = self.shared.lock();
        if state.waiters.remove(&self.id).is_some() {
            return;
        }
        // Handed out under the lock we now hold, so the task is in the channel already.
        if let Ok(Some(task)) = hand.try_recv() {
            state.unlease(&task.id);
            let deadline = Instant::now() + self.shared.lease;
            state.dispatch(deadline);
        }
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn push(&self, tasks: Vec<Task>) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        let mut ids = std::collections::HashSet::new();
        if let Some(dup) = tasks.iter().find(|t| state.places.contains_key(&t.id) || !ids.insert(&t.id)) {
            return Err(QueueError::Duplicate(dup.id.clone()));
        }
        for task in tasks {
            let seq = state.next_seq;
            state.next_seq += 1;
            state.places.insert(task.id.clone(), Place::Queued(seq));
            state.queued.insert(seq, task);
        }
        state.dispatch(Instant::now() + self.shared.lease);
        Ok(())
    }

    async fn poll(&self, worker: &Worker) -> Result<Option<Task>, QueueError> {
        let mut registration = {
            let mut state = self.shared.lock();
            if !state.paused
                && let Some(task) = state.take_for(worker, Instant::now() + self.shared.lease)
            {
                return Ok(Some(task));
            }
            let (hand, received) = oneshot::channel();
            let id = state.next_waiter;
            state.next_waiter += 1;
            state.waiters.insert(id, Waiter { worker: worker.clone(), hand });
            Registration { shared: &self.shared, id, hand: Some(received) }
        };
        Ok(registration.received().await)
    }

    async fn extend(&self, task_id: &str, agent_id: i64) -> Result<(), QueueError> {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if state.expire(now) {
            state.dispatch(now + self.shared.lease);
        }
        let running = state.running.get_mut(task_id).ok_or(QueueError::NotFound)?;
        if running.task.agent_id != agent_id {
            return Err(QueueError::WrongAgent);
        }
        running.deadline = now + self.shared.lease;
        Ok(())
    }

    async fn done(&self, task_id: &str, status: Status) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        if state.finish(task_id, WaitOutcome::Finished, status).is_some() {
            state.dispatch(Instant::now() + self.shared.lease);
        }
        Ok(())
    }

    async fn cancel(&self, task_ids: &[String]) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        for id in task_ids {
            state.finish(id, WaitOutcome::Canceled, Status::Killed);
        }
        state.dispatch(Instant::now() + self.shared.lease);
        Ok(())
    }

    async fn wait(&self, task_id: &str) -> Result<WaitOutcome, QueueError> {
        loop {
            let (mut outcome, deadline, pause_changed) = {
                let mut state = self.shared.lock();
                let now = Instant::now();
                if state.expire(now) {
                    state.dispatch(now + self.shared.lease);
                }
                let Some(running) = state.running.get(task_id) else {
                    let expired = state.expired.iter().any(|t| t.id == task_id);
                    return Ok(if expired { WaitOutcome::Expired } else { WaitOutcome::Finished });
                };
                let pause_changed = self.shared.pause_changed.notified();
                (running.outcome.subscribe(), running.deadline, state.paused.then_some(pause_changed))
            };
            // Past the deadline while paused nothing expires: sleep until the pause changes.
            let next_check = async {
                match pause_changed {
                    Some(changed) => changed.await,
                    None => tokio::time::sleep_until(deadline).await,
                }
            };
            let ended = tokio::select! {
                _ = async { outcome.wait_for(Option::is_some).await.map(drop) } => true,
                () = next_check => false,
            };
            if ended {
                // The sender is dropped right after its outcome is set: read what it left.
                return Ok(outcome.borrow().unwrap_or(WaitOutcome::Finished));
            }
        }
    }

    async fn take_expired(&self) -> Result<Vec<Task>, QueueError> {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if state.expire(now) {
            state.dispatch(now + self.shared.lease);
        }
        Ok(std::mem::take(&mut state.expired))
    }

    async fn info(&self) -> Result<QueueInfo, QueueError> {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if state.expire(now) {
            state.dispatch(now + self.shared.lease);
        }
        Ok(state.snapshot())
    }

    async fn set_paused(&self, paused: bool) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        state.paused = paused;
        state.dispatch(Instant::now() + self.shared.lease);
        self.shared.pause_changed.notify_waiters();
        Ok(())
    }

    async fn kick(&self, agent_id: i64) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        let kicked: Vec<u64> =
            state.waiters.iter().filter(|(_, w)| w.worker.agent_id == agent_id).map(|(id, _)| *id).collect();
        for id in kicked {
            if let Some(waiter) = state.waiters.remove(&id) {
                let _ = waiter.hand.send(None);
            }
        }
        Ok(())
    }
}
