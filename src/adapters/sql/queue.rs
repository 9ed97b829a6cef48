//! The durable queue on the SQL store: the `tasks` table is the queue, so queued tasks and
//! running leases survive a restart and several servers can share one database.
//!
//! A row's `state` says where its task is: `pending`, `running` (leased to `agent_id` until
//! `deadline`, in ms), or how it ended: `done` (with `status`), `canceled`, `expired` (lease
//! ended, not yet taken) or `taken` (handed to one [`Queue::take_expired`] caller). Ended rows
//! stay as tombstones, so waits on every server see the outcome and dependents derive their
//! `dep_status` from them; [`Queue::take_expired`] removes tombstones of pipelines without
//! queued or running tasks once they are [`TOMBSTONE_TTL`] old.
//!
//! Every transition is one conditional `UPDATE` checked by its row count (e.g. a claim sets
//! `running` only `WHERE state = 'pending'`), which is what makes it atomic across servers.
//! Blocked polls live in the process: a push, an end or a resume on this server wakes them at
//! once; other servers' changes are seen by a re-check every [`RECHECK`]. The best-scoring
//! worker wins among this server's blocked polls; across servers the first claim wins.
//! The paused flag is the server setting [`PAUSED_SETTING`]. Concurrency groups are not
//! enforced.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::adapters::sql::SqlStore;
use crate::adapters::sql::json::decode;
use crate::adapters::sql::schema::tasks;
use crate::adapters::sql::task::TaskRow;
use crate::adapters::sql::transaction::write_transaction;
use crate::domain::status::Status;
use crate::domain::task::{Task, match_labels};
use crate::ports::queue::{LEASE, Queue, QueueError, QueueInfo, QueueStats, WaitOutcome, Worker};
use crate::ports::store::{SettingStore, StoreError};

/// How often blocked polls and waits look for changes made by other servers.
pub const RECHECK: Duration = Duration::from_millis(500);

/// How long an ended task's outcome is kept at least.
pub const TOMBSTONE_TTL: Duration = Duration::from_secs(600);

/// The server setting holding the paused flag (`true` / `false`).
pub const PAUSED_SETTING: &str = "queue_paused";

const PENDING: &str = "pending";
const RUNNING: &str = "running";
const DONE: &str = "done";
const CANCELED: &str = "canceled";
const EXPIRED: &str = "expired";
const TAKEN: &str = "taken";
/// The states of tasks still queued or running.
pub(super) const LIVE: [&str; 2] = [PENDING, RUNNING];

/// The queue on a [`SqlStore`]; every handle on the same database sees the same queue.
pub struct SqlQueue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqlQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlQueue").field("store", &self.shared.store).finish_non_exhaustive()
    }
}

struct Shared {
    store: Arc<SqlStore>,
    lease: Duration,
    polls: Mutex<Polls>,
    /// Woken by every change made through this handle.
    changed: Notify,
}

/// This process's blocked polls, in arrival order.
#[derive(Default)]
struct Polls {
    next: u64,
    blocked: BTreeMap<u64, BlockedPoll>,
}

struct BlockedPoll {
    worker: Worker,
    kicked: bool,
}

/// What a poll needs to know of every row (no payload).
#[derive(Queryable, Selectable)]
#[diesel(table_name = tasks)]
struct Meta {
    id: String,
    labels: String,
    dependencies: String,
    pipeline_id: i64,
    state: String,
    status: String,
}

/// The rows of the table, decoded once per look.
struct Snapshot {
    /// Pending rows in push order.
    pending: Vec<Task>,
    /// Ids of pending and running tasks.
    live: HashSet<String>,
    /// Ended tasks and the status their dependents record.
    ended: HashMap<String, Status>,
}

impl Snapshot {
    fn is_ready(&self, task: &Task) -> bool {
        task.dependencies.iter().all(|d| !self.live.contains(d))
    }

    /// Adds the recorded outcomes of `task`'s ended dependencies to its `dep_status`.
    fn record_deps(&self, task: &mut Task) {
        for dep in &task.dependencies {
            if let Some(status) = self.ended.get(dep) {
                task.dep_status.insert(dep.clone(), *status);
            }
        }
    }
}

/// The status dependents record for a task that ended in `state` (done ones carry `status`).
fn ended_status(state: &str, status: &str) -> Option<Status> {
    match state {
        DONE => status.parse().ok(),
        CANCELED => Some(Status::Killed),
        EXPIRED | TAKEN => Some(Status::Failure),
        _ => None,
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn store_error(e: StoreError) -> QueueError {
    match e {
        StoreError::Unavailable { driver, message } => QueueError::Unavailable { backend: driver, message },
        other => QueueError::Unknown(anyhow::Error::new(other).context("queue")),
    }
}

impl SqlQueue {
    /// The queue on `store` (migrated), leasing hand-outs for [`LEASE`].
    pub fn new(store: Arc<SqlStore>) -> Self {
        Self::with_lease(store, LEASE)
    }

    /// The queue on `store`, leasing hand-outs for `lease`.
    pub fn with_lease(store: Arc<SqlStore>, lease: Duration) -> Self {
        let shared = Shared { store, lease, polls: Mutex::default(), changed: Notify::new() };
        Self { shared: Arc::new(shared) }
    }
}

impl Shared {
    fn polls(&self) -> MutexGuard<'_, Polls> {
        self.polls.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lease_ms(&self) -> i64 {
        self.lease.as_millis() as i64
    }

    async fn paused(&self) -> Result<bool, QueueError> {
        match self.store.get_setting(PAUSED_SETTING).await {
            Ok(value) => Ok(value == "true"),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Every row's metadata, decoded.
    async fn snapshot(&self) -> Result<Snapshot, QueueError> {
        let metas = with_conn!(&self.store, read, "task", |c, _| {
            tasks::table.order((tasks::seq, tasks::id)).select(Meta::as_select()).load(c).await
        })
        .map_err(store_error)?;
        let mut snapshot = Snapshot { pending: Vec::new(), live: HashSet::new(), ended: HashMap::new() };
        for meta in metas {
            if let Some(status) = ended_status(&meta.state, &meta.status) {
                snapshot.ended.insert(meta.id, status);
                continue;
            }
            if meta.state == PENDING {
                let task = Task {
                    id: meta.id.clone(),
                    labels: decode(&meta.labels, "labels").map_err(store_error)?,
                    dependencies: decode(&meta.dependencies, "dependencies").map_err(store_error)?,
                    pipeline_id: meta.pipeline_id,
                    ..Task::default()
                };
                snapshot.pending.push(task);
            }
            snapshot.live.insert(meta.id);
        }
        Ok(snapshot)
    }

    /// Full rows of live tasks in push order.
    async fn live_tasks(&self) -> Result<Vec<(String, Task)>, QueueError> {
        let rows: Vec<(String, TaskRow)> = with_conn!(&self.store, read, "task", |c, _| {
            tasks::table
                .filter(tasks::state.eq_any(LIVE))
                .order((tasks::seq, tasks::id))
                .select((tasks::state, TaskRow::as_select()))
                .load(c)
                .await
        })
        .map_err(store_error)?;
        rows.into_iter().map(|(state, row)| Ok((state, row.into_domain().map_err(store_error)?))).collect()
    }

    /// Ends every running lease past its deadline (callers check the pause first).
    async fn expire_due(&self) -> Result<(), QueueError> {
        let now = now_ms();
        let expired = with_conn!(&self.store, write, "task", |c, _| {
            diesel::update(tasks::table.filter(tasks::state.eq(RUNNING)).filter(tasks::deadline.le(now)))
                .set((tasks::state.eq(EXPIRED), tasks::ended.eq(now)))
                .execute(c)
                .await
        })
        .map_err(store_error)?;
        if expired > 0 {
            self.changed.notify_waiters();
        }
        Ok(())
    }

    /// Ends the live tasks `ids` in `state` (with `status` for `done`); returns how many ended.
    async fn end(&self, ids: &[String], state: &'static str, status: &str) -> Result<usize, QueueError> {
        let now = now_ms();
        let ended = with_conn!(&self.store, write, "task", |c, _| {
            diesel::update(tasks::table.filter(tasks::id.eq_any(ids)).filter(tasks::state.eq_any(LIVE)))
                .set((tasks::state.eq(state), tasks::status.eq(status), tasks::ended.eq(now)))
                .execute(c)
                .await
        })
        .map_err(store_error)?;
        if ended > 0 {
            self.changed.notify_waiters();
        }
        Ok(ended)
    }

    /// Whether another of this process's blocked polls is a better taker of `task` than poll
    /// `me` scoring `score` (higher score, or as high and blocked earlier).
    fn better_poll_waits(&self, me: u64, score: u32, task: &Task) -> bool {
        self.polls().blocked.iter().any(|(id, poll)| {
            *id != me
                && !poll.kicked
                && match_labels(&poll.worker.labels, &task.labels)
                    .is_some_and(|s| s > score || (s == score && *id < me))
        })
    }

    /// Deletes old tombstones of pipelines that have no live task any more.
    async fn collect_tombstones(&self) -> Result<(), QueueError> {
        let before = now_ms() - TOMBSTONE_TTL.as_millis() as i64;
        let rows: Vec<(i64, String)> = with_conn!(&self.store, read, "task", |c, _| {
            tasks::table.select((tasks::pipeline_id, tasks::state)).distinct().load(c).await
        })
        .map_err(store_error)?;
        let live: HashSet<i64> =
            rows.iter().filter(|(_, s)| LIVE.contains(&s.as_str())).map(|(p, _)| *p).collect();
        let finished: Vec<i64> = rows.iter().map(|(p, _)| *p).filter(|p| !live.contains(p)).collect();
        if finished.is_empty() {
            return Ok(());
        }
        with_conn!(&self.store, write, "task", |c, _| {
            diesel::delete(
                tasks::table
                    .filter(tasks::pipeline_id.eq_any(&finished))
                    .filter(tasks::state.ne_all(LIVE))
                    .filter(tasks::state.ne(EXPIRED))
                    .filter(tasks::ended.lt(before)),
            )
            .execute(c)
            .await
        })
        .map_err(store_error)?;
        Ok(())
    }
}

/// Leases the pending task `id` to `agent_id` until `deadline`; `None` when another poll (of
/// any server) was first.
async fn claim(
    store: Arc<SqlStore>,
    id: String,
    agent_id: i64,
    deadline: i64,
) -> Result<Option<Task>, QueueError> {
    let claimed = with_conn!(&store, write, "task", |c, _| {
        diesel::update(tasks::table.find(&id).filter(tasks::state.eq(PENDING)))
            .set((tasks::state.eq(RUNNING), tasks::agent_id.eq(agent_id), tasks::deadline.eq(deadline)))
            .execute(c)
            .await
    })
    .map_err(store_error)?;
    if claimed == 0 {
        return Ok(None);
    }
    let row = with_conn!(&store, read, "task", |c, _| {
        tasks::table.find(&id).select(TaskRow::as_select()).first(c).await
    })
    .map_err(store_error)?;
    row.into_domain().map(Some).map_err(store_error)
}

/// Gives a claimed task back (its poll was dropped); a no-op when the lease changed since.
async fn unclaim(store: &SqlStore, task: &Task, deadline: i64) -> Result<(), QueueError> {
    with_conn!(store, write, "task", |c, _| {
        diesel::update(
            tasks::table
                .find(&task.id)
                .filter(tasks::state.eq(RUNNING))
                .filter(tasks::agent_id.eq(task.agent_id))
                .filter(tasks::deadline.eq(deadline)),
        )
        .set((tasks::state.eq(PENDING), tasks::agent_id.eq(0), tasks::deadline.eq(0)))
        .execute(c)
        .await
        .map(drop)
    })
    .map_err(store_error)
}

/// A claim of a task for a poll, running on its own.
type Claim = JoinHandle<Result<Option<Task>, QueueError>>;

/// A poll blocked in this process; dropping it unregisters the poll, and gives back a task a
/// claim in flight may have leased to it (what makes `poll` cancel-safe).
struct Registration {
    shared: Arc<Shared>,
    id: u64,
    /// A claim running in a task of its own, so dropping the poll cannot cut it in half.
    claiming: Option<(Claim, i64)>,
}

impl Registration {
    fn kicked(&self) -> bool {
        self.shared.polls().blocked.get(&self.id).is_none_or(|p| p.kicked)
    }

    async fn claim(&mut self, id: &str, agent_id: i64) -> Result<Option<Task>, QueueError> {
        let deadline = now_ms() + self.shared.lease_ms();
        let attempt = tokio::spawn(claim(Arc::clone(&self.shared.store), id.to_string(), agent_id, deadline));
        let (attempt, _) = self.claiming.insert((attempt, deadline));
        let claimed = attempt.await;
        self.claiming = None;
        claimed.map_err(|e| QueueError::Unknown(anyhow::Error::new(e).context("queue claim task")))?
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.polls().blocked.remove(&self.id);
        self.shared.changed.notify_waiters();
        let Some((attempt, deadline)) = self.claiming.take() else { return };
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            if let Ok(Ok(Some(task))) = attempt.await {
                if let Err(e) = unclaim(&shared.store, &task, deadline).await {
                    tracing::warn!(task = %task.id, error = %e, "queue: giving back the task of a dropped poll");
                }
                shared.changed.notify_waiters();
            }
        });
    }
}

impl SqlQueue {
    fn register(&self, worker: &Worker) -> Registration {
        let mut polls = self.shared.polls();
        let id = polls.next;
        polls.next += 1;
        polls.blocked.insert(id, BlockedPoll { worker: worker.clone(), kicked: false });
        Registration { shared: Arc::clone(&self.shared), id, claiming: None }
    }

    /// Claims the first ready task `worker` matches and no better blocked poll here wants.
    async fn take_for(
        &self,
        registration: &mut Registration,
        worker: &Worker,
    ) -> Result<Option<Task>, QueueError> {
        let snapshot = self.shared.snapshot().await?;
        for candidate in &snapshot.pending {
            if !snapshot.is_ready(candidate) {
                continue;
            }
            let Some(score) = match_labels(&worker.labels, &candidate.labels) else { continue };
            if self.shared.better_poll_waits(registration.id, score, candidate) {
                continue;
            }
            if let Some(mut task) = registration.claim(&candidate.id, worker.agent_id).await? {
                snapshot.record_deps(&mut task);
                return Ok(Some(task));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl Queue for SqlQueue {
    async fn push(&self, tasks: Vec<Task>) -> Result<(), QueueError> {
        let mut seen = HashSet::new();
        if let Some(dup) = tasks.iter().find(|t| !seen.insert(t.id.as_str())) {
            return Err(QueueError::Duplicate(dup.id.clone()));
        }
        let rows =
            tasks.iter().map(TaskRow::from_domain).collect::<Result<Vec<_>, _>>().map_err(store_error)?;
        let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        // Push order across servers: the time in µs, then the position in the batch.
        let base = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64) * 1000;
        let pushed = with_conn!(&self.shared.store, write, "task", |c, _| {
            write_transaction(c, async |c| {
                let queued: Option<String> = tasks::table
                    .filter(tasks::id.eq_any(&ids))
                    .filter(tasks::state.eq_any(LIVE))
                    .select(tasks::id)
                    .first(c)
                    .await
                    .optional()?;
                if queued.is_some() {
                    return Ok::<_, diesel::result::Error>(queued);
                }
                // An id pushed again after it ended replaces its tombstone.
                diesel::delete(tasks::table.filter(tasks::id.eq_any(&ids))).execute(c).await?;
                for (n, row) in rows.iter().enumerate() {
                    diesel::insert_into(tasks::table)
                        .values((row, tasks::seq.eq(base + n as i64), tasks::state.eq(PENDING)))
                        .execute(c)
                        .await?;
                }
                Ok(None)
            })
            .await
        });
        match pushed {
            Ok(None) => {
                self.shared.changed.notify_waiters();
                Ok(())
            }
            Ok(Some(id)) => Err(QueueError::Duplicate(id)),
            Err(StoreError::Conflict(_)) => Err(QueueError::Duplicate(ids.join(","))),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn poll(&self, worker: &Worker) -> Result<Option<Task>, QueueError> {
        let mut registration = self.register(worker);
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if registration.kicked() {
                return Ok(None);
            }
            if !self.shared.paused().await?
                && let Some(task) = self.take_for(&mut registration, worker).await?
            {
                return Ok(Some(task));
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep(RECHECK) => {}
            }
        }
    }

    async fn extend(&self, task_id: &str, agent_id: i64) -> Result<(), QueueError> {
        if !self.shared.paused().await? {
            self.shared.expire_due().await?;
        }
        let deadline = now_ms() + self.shared.lease_ms();
        let holder: Option<i64> = with_conn!(&self.shared.store, write, "task", |c, _| {
            let running = tasks::table.find(task_id).filter(tasks::state.eq(RUNNING));
            let extended = diesel::update(running.filter(tasks::agent_id.eq(agent_id)))
                .set(tasks::deadline.eq(deadline))
                .execute(c)
                .await?;
            if extended > 0 {
                return Ok(Some(agent_id));
            }
            running.select(tasks::agent_id).first(c).await.optional()
        })
        .map_err(store_error)?;
        match holder {
            Some(holder) if holder == agent_id => Ok(()),
            Some(_) => Err(QueueError::WrongAgent),
            None => Err(QueueError::NotFound),
        }
    }

    async fn done(&self, task_id: &str, status: Status) -> Result<(), QueueError> {
        self.shared.end(&[task_id.to_string()], DONE, status.as_str()).await.map(drop)
    }

    async fn cancel(&self, task_ids: &[String]) -> Result<(), QueueError> {
        self.shared.end(task_ids, CANCELED, "").await.map(drop)
    }

    async fn wait(&self, task_id: &str) -> Result<WaitOutcome, QueueError> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let row: Option<(String, i64)> = with_conn!(&self.shared.store, read, "task", |c, _| {
                tasks::table.find(task_id).select((tasks::state, tasks::deadline)).first(c).await.optional()
            })
            .map_err(store_error)?;
            let deadline = match row {
                Some((state, deadline)) if state == RUNNING => deadline,
                Some((state, _)) if state == CANCELED => return Ok(WaitOutcome::Canceled),
                Some((state, _)) if state == EXPIRED || state == TAKEN => return Ok(WaitOutcome::Expired),
                _ => return Ok(WaitOutcome::Finished),
            };
            let left = deadline - now_ms();
            if left <= 0 && !self.shared.paused().await? {
                self.shared.expire_due().await?;
                continue;
            }
            let next_check = RECHECK.min(Duration::from_millis(left.max(0) as u64));
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep(next_check.max(Duration::from_millis(1))) => {}
            }
        }
    }

    async fn take_expired(&self) -> Result<Vec<Task>, QueueError> {
        if self.shared.paused().await? {
            return Ok(Vec::new());
        }
        self.shared.expire_due().await?;
        let expired: Vec<String> = with_conn!(&self.shared.store, read, "task", |c, _| {
            tasks::table.filter(tasks::state.eq(EXPIRED)).order(tasks::seq).select(tasks::id).load(c).await
        })
        .map_err(store_error)?;
        let mut taken = Vec::new();
        for id in expired {
            let row = with_conn!(&self.shared.store, write, "task", |c, _| {
                let won = diesel::update(tasks::table.find(&id).filter(tasks::state.eq(EXPIRED)))
                    .set(tasks::state.eq(TAKEN))
                    .execute(c)
                    .await?;
                if won == 0 {
                    return Ok(None);
                }
                tasks::table.find(&id).select(TaskRow::as_select()).first(c).await.map(Some)
            })
            .map_err(store_error)?;
            if let Some(row) = row {
                taken.push(row.into_domain().map_err(store_error)?);
            }
        }
        self.shared.collect_tombstones().await?;
        Ok(taken)
    }

    async fn info(&self) -> Result<QueueInfo, QueueError> {
        let paused = self.shared.paused().await?;
        if !paused {
            self.shared.expire_due().await?;
        }
        let snapshot = self.shared.snapshot().await?;
        let mut info = QueueInfo { paused, ..QueueInfo::default() };
        for (state, mut task) in self.shared.live_tasks().await? {
            snapshot.record_deps(&mut task);
            if state == RUNNING {
                info.running.push(task);
            } else if snapshot.is_ready(&task) {
                info.pending.push(task);
            } else {
                info.waiting_on_deps.push(task);
            }
        }
        info.stats = QueueStats {
            worker_count: self.shared.polls().blocked.len(),
            pending_count: info.pending.len(),
            waiting_on_deps_count: info.waiting_on_deps.len(),
            running_count: info.running.len(),
        };
        Ok(info)
    }

    async fn set_paused(&self, paused: bool) -> Result<(), QueueError> {
        self.shared
            .store
            .set_setting(PAUSED_SETTING, if paused { "true" } else { "false" })
            .await
            .map_err(store_error)?;
        self.shared.changed.notify_waiters();
        Ok(())
    }

    async fn kick(&self, agent_id: i64) -> Result<(), QueueError> {
        for poll in self.shared.polls().blocked.values_mut().filter(|p| p.worker.agent_id == agent_id) {
            poll.kicked = true;
        }
        self.shared.changed.notify_waiters();
        Ok(())
    }
}
