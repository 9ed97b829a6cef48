//! The queue on Redis, shared by every server of an installation and kept across restarts.
//!
//! Each operation is one Lua script, so it is atomic across servers (the key layout is in
//! `queue/lua/common.lua`). A poll registers itself as waiting, looks at the ready tasks, picks
//! the one the hand-out gives it ([`dispatch`]) and claims it in one script; when there is
//! nothing for it, it sleeps until a script publishes a change ([`wake`]) or a second passes.
//! Time comes from the Redis server, so leases mean the same on every server.
//!
//! # Layout
//! - [`scripts`]: the Lua scripts.
//! - [`record`]: how tasks are stored.
//! - [`dispatch`]: which ready task a poll takes.
//! - [`wake`]: wake-ups of blocked polls and waits.

mod dispatch;
mod record;
mod scripts;
mod wake;

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis::{FromRedisValue, RedisError, ScriptInvocation};
use tokio::sync::oneshot;

use self::dispatch::{Replay, Waiting};
use self::record::Stored;
use self::scripts::SCRIPTS;
use self::wake::Wakeups;
use super::Redis;
use crate::domain::status::Status;
use crate::domain::task::Task;
use crate::ports::queue::{LEASE, Queue, QueueError, QueueInfo, QueueStats, WaitOutcome, Worker};

/// How long a blocked poll or wait sleeps before it looks again without a wake-up.
const RELOOK: Duration = Duration::from_secs(1);

/// How long a poll stays listed as waiting after its last look; polls whose server died vanish
/// after this.
const POLL_TTL: Duration = Duration::from_secs(5);

/// How many ready tasks a poll reads at a time.
const CHUNK: usize = 200;

/// Above this many cached task labels the cache starts over (finished tasks are never evicted
/// one by one).
const LABEL_CACHE_MAX: usize = 20_000;

/// The queue on Redis.
pub struct RedisQueue {
    redis: Redis,
    prefix: String,
    lease: Duration,
    wakeups: Wakeups,
    /// Makes poll ids unique across servers.
    server: u64,
    polls: AtomicU64,
    /// Task labels by id: records never change while queued.
    labels: Mutex<HashMap<String, Arc<BTreeMap<String, String>>>>,
}

impl RedisQueue {
    /// The queue under the key prefix of `redis`, with the standard lease. Starts listening for
    /// wake-ups, so it must be called inside a tokio runtime.
    pub fn new(redis: Redis) -> Self {
        let prefix = redis.key("");
        let wakeups = Wakeups::listen(redis.client.clone(), format!("{prefix}queue:wake"));
        Self {
            redis,
            prefix,
            lease: LEASE,
            wakeups,
            server: RandomState::new().hash_one(std::process::id()),
            polls: AtomicU64::new(0),
            labels: Mutex::new(HashMap::new()),
        }
    }

    /// Another lease than [`LEASE`] (tests).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Runs `invocation` (which already carries the prefix) on the shared connection.
    async fn run<T: FromRedisValue>(
        &self,
        what: &'static str,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, QueueError> {
        let mut conn = self.redis.manager.clone();
        invocation.invoke_async(&mut conn).await.map_err(|e| backend_error(what, e))
    }

    fn lease_ms(&self) -> u64 {
        u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX)
    }

    /// The id of the ready task the hand-out gives to poll `me`, reading the ready list in
    /// chunks after the first one `look` returned.
    async fn choose(
        &self,
        me: &str,
        waiting: &[Waiting],
        mut ready: Vec<String>,
    ) -> Result<Option<String>, QueueError> {
        let mut replay = Replay::new(me, waiting);
        let mut start = 0;
        loop {
            let read = ready.len();
            for (id, labels) in self.labels_of(ready).await? {
                if replay.offer(&labels) {
                    return Ok(Some(id));
                }
            }
            if read < CHUNK {
                return Ok(None);
            }
            start += read;
            let mut conn = self.redis.manager.clone();
            ready = redis::cmd("ZRANGE")
                .arg(self.key("ready"))
                .arg(start)
                .arg(start + CHUNK - 1)
                .query_async(&mut conn)
                .await
                .map_err(|e| backend_error("reading ready tasks", e))?;
        }
    }

    /// The labels of the tasks `ids`, in order, from the cache or Redis; tasks that are gone
    /// are left out.
    async fn labels_of(
        &self,
        ids: Vec<String>,
    ) -> Result<Vec<(String, Arc<BTreeMap<String, String>>)>, QueueError> {
        let missing: Vec<String> = {
            let cache = self.cache();
            ids.iter().filter(|id| !cache.contains_key(*id)).cloned().collect()
        };
        if !missing.is_empty() {
            let mut conn = self.redis.manager.clone();
            let records: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(self.key("task"))
                .arg(&missing)
                .query_async(&mut conn)
                .await
                .map_err(|e| backend_error("reading task labels", e))?;
            let mut cache = self.cache();
            if cache.len() > LABEL_CACHE_MAX {
                cache.clear();
            }
            for (id, record) in missing.into_iter().zip(records) {
                if let Some(record) = record {
                    let labels = record::labels(&id, &record)?;
                    cache.insert(id, Arc::new(labels));
                }
            }
        }
        let cache = self.cache();
        Ok(ids.into_iter().filter_map(|id| cache.get(&id).cloned().map(|labels| (id, labels))).collect())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<BTreeMap<String, String>>>> {
        // The cache holds no invariant a panicking holder could break.
        self.labels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Claims `task_id` for poll `me` in a task of its own, so that a poll dropped while the
    /// claim is on the wire puts the task back instead of losing it.
    async fn claim(&self, me: &str, task_id: &str, agent_id: i64) -> Result<Claim, QueueError> {
        let (sender, receiver) = oneshot::channel();
        let (redis, prefix, me, task_id) =
            (self.redis.clone(), self.prefix.clone(), me.to_owned(), task_id.to_owned());
        let lease_ms = self.lease_ms();
        tokio::spawn(async move {
            let mut conn = redis.manager.clone();
            let claimed: Result<(String, Option<Stored>), RedisError> = SCRIPTS
                .claim
                .arg(&prefix)
                .arg(&me)
                .arg(&task_id)
                .arg(agent_id)
                .arg(lease_ms)
                .invoke_async(&mut conn)
                .await;
            let claim = match claimed {
                Ok((state, stored)) => Claim::from_script(&state, task_id.clone(), stored),
                Err(e) => Err(backend_error("claiming a task", e)),
            };
            if let Err(Ok(Claim::Taken(_))) = sender.send(claim) {
                let put_back: Result<(), RedisError> =
                    SCRIPTS.unclaim.arg(&prefix).arg(&task_id).arg(agent_id).invoke_async(&mut conn).await;
                if let Err(e) = put_back {
                    tracing::warn!(task_id, error = %e, "redis queue: cannot put back a task of a dropped poll");
                }
            }
        });
        receiver
            .await
            .map_err(|_| QueueError::Unknown(anyhow::anyhow!("redis queue: the claim task died")))?
    }

    fn key(&self, name: &str) -> String {
        format!("{}queue:{name}", self.prefix)
    }

    fn next_poll_id(&self) -> String {
        // Zero-padded so that ids sort in the order polls started on one server.
        format!("{:016x}.{:012}", self.server, self.polls.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a claim came to.
enum Claim {
    Taken(Box<Task>),
    /// Another poll took it first, or hand-out was paused meanwhile.
    Lost,
    Kicked,
}

impl Claim {
    fn from_script(state: &str, task_id: String, stored: Option<Stored>) -> Result<Self, QueueError> {
        match (state, stored) {
            ("ok", Some(stored)) => Ok(Self::Taken(Box::new(record::decode(task_id, stored)?))),
            ("kicked", _) => Ok(Self::Kicked),
            _ => Ok(Self::Lost),
        }
    }
}

/// A poll listed as waiting; dropping it unlists the poll (unless it was `settle`d because a
/// script already did).
struct Registration {
    conn: redis::aio::ConnectionManager,
    workers_key: String,
    expiry_key: String,
    id: String,
    listed: bool,
}

impl Registration {
    fn settle(&mut self) {
        self.listed = false;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if !self.listed {
            return;
        }
        let mut conn = self.conn.clone();
        let (workers, expiry, id) = (self.workers_key.clone(), self.expiry_key.clone(), self.id.clone());
        runtime.spawn(async move {
            let unlisted: Result<(), RedisError> =
                redis::pipe().atomic().hdel(workers, &id).zrem(expiry, &id).query_async(&mut conn).await;
            if let Err(e) = unlisted {
                tracing::debug!(poll = id, error = %e, "redis queue: cannot unlist a dropped poll; it expires");
            }
        });
    }
}

/// Maps a Redis error: lost connections are [`QueueError::Unavailable`], the rest unknown.
fn backend_error(what: &'static str, error: RedisError) -> QueueError {
    if error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || error.is_timeout()
    {
        QueueError::Unavailable { backend: "redis", message: format!("{what}: {error}") }
    } else {
        QueueError::Unknown(anyhow::Error::new(error).context(format!("redis queue: {what}")))
    }
}

/// The waiting polls of a `look`, from its flat `id, "<agent> <labels JSON>", ...` list.
fn waiting_polls(flat: Vec<String>) -> Vec<Waiting> {
    flat.chunks(2)
        .filter_map(|pair| match pair {
            [id, value] => {
                let (_agent, labels) = value.split_once(' ')?;
                Some(Waiting { id: id.clone(), labels: serde_json::from_str(labels).ok()? })
            }
            _ => None,
        })
        .collect()
}

fn decode_all(listed: Vec<(String, Option<Stored>)>) -> Result<Vec<Task>, QueueError> {
    listed
        .into_iter()
        .filter_map(|(id, stored)| stored.map(|stored| record::decode(id, stored)))
        .collect::<anyhow::Result<_>>()
        .map_err(QueueError::Unknown)
}

#[async_trait]
impl Queue for RedisQueue {
    async fn push(&self, tasks: Vec<Task>) -> Result<(), QueueError> {
        if tasks.is_empty() {
            return Ok(());
        }
        let mut invocation = SCRIPTS.push.arg(&self.prefix);
        for task in &tasks {
            invocation.arg(&task.id).arg(record::encode(task)?).arg(&task.data[..]);
        }
        match self.run::<Option<String>>("pushing tasks", &invocation).await? {
            Some(duplicate) => Err(QueueError::Duplicate(duplicate)),
            None => Ok(()),
        }
    }

    async fn poll(&self, worker: &Worker) -> Result<Option<Task>, QueueError> {
        let labels = serde_json::to_string(&worker.labels).map_err(|e| {
            QueueError::Unknown(anyhow::Error::new(e).context("redis queue: encoding labels"))
        })?;
        let listing = format!("{} {labels}", worker.agent_id);
        let me = self.next_poll_id();
        let mut registration = Registration {
            conn: self.redis.manager.clone(),
            workers_key: self.key("workers"),
            expiry_key: self.key("worker_exp"),
            id: me.clone(),
            listed: true,
        };
        let ttl_ms = u64::try_from(POLL_TTL.as_millis()).unwrap_or(u64::MAX);
        loop {
            let wakeup = self.wakeups.notified();
            tokio::pin!(wakeup);
            wakeup.as_mut().enable();
            let (state, waiting, ready): (String, Vec<String>, Vec<String>) = self
                .run(
                    "looking for work",
                    SCRIPTS.look.arg(&self.prefix).arg(&me).arg(&listing).arg(ttl_ms).arg(CHUNK),
                )
                .await?;
            if state == "kicked" {
                registration.settle();
                return Ok(None);
            }
            if state == "ok"
                && let Some(task_id) = self.choose(&me, &waiting_polls(waiting), ready).await?
            {
                match self.claim(&me, &task_id, worker.agent_id).await? {
                    Claim::Taken(task) => {
                        registration.settle();
                        return Ok(Some(*task));
                    }
                    Claim::Kicked => {
                        registration.settle();
                        return Ok(None);
                    }
                    Claim::Lost => continue,
                }
            }
            let _ = tokio::time::timeout(RELOOK, wakeup).await;
        }
    }

    async fn extend(&self, task_id: &str, agent_id: i64) -> Result<(), QueueError> {
        let mut invocation = SCRIPTS.extend.arg(&self.prefix);
        invocation.arg(task_id).arg(agent_id).arg(self.lease_ms());
        match self.run::<String>("extending a lease", &invocation).await?.as_str() {
            "ok" => Ok(()),
            "wrong_agent" => Err(QueueError::WrongAgent),
            _ => Err(QueueError::NotFound),
        }
    }

    async fn done(&self, task_id: &str, status: Status) -> Result<(), QueueError> {
        self.run("finishing a task", SCRIPTS.done.arg(&self.prefix).arg(task_id).arg(status.as_str())).await
    }

    async fn cancel(&self, task_ids: &[String]) -> Result<(), QueueError> {
        if task_ids.is_empty() {
            return Ok(());
        }
        self.run("canceling tasks", SCRIPTS.cancel.arg(&self.prefix).arg(task_ids)).await
    }

    async fn wait(&self, task_id: &str) -> Result<WaitOutcome, QueueError> {
        loop {
            let wakeup = self.wakeups.notified();
            tokio::pin!(wakeup);
            wakeup.as_mut().enable();
            let (state, lease_left_ms): (String, i64) =
                self.run("waiting for a task", SCRIPTS.wait.arg(&self.prefix).arg(task_id)).await?;
            match state.as_str() {
                "running" => {}
                "canceled" => return Ok(WaitOutcome::Canceled),
                "expired" => return Ok(WaitOutcome::Expired),
                _ => return Ok(WaitOutcome::Finished),
            }
            // Nothing is published when a lease runs out, so look again when it does.
            let relook = u64::try_from(lease_left_ms)
                .map_or(RELOOK, |ms| RELOOK.min(Duration::from_millis(ms.saturating_add(1))));
            let _ = tokio::time::timeout(relook, wakeup).await;
        }
    }

    async fn take_expired(&self) -> Result<Vec<Task>, QueueError> {
        let expired = self.run("taking expired leases", &SCRIPTS.expire.arg(&self.prefix)).await?;
        decode_all(expired)
    }

    async fn info(&self) -> Result<QueueInfo, QueueError> {
        type Listed = Vec<(String, Option<Stored>)>;
        let (paused, worker_count, ready, blocked, running): (bool, usize, Listed, Listed, Listed) =
            self.run("reading the queue", &SCRIPTS.info.arg(&self.prefix)).await?;
        let (pending, waiting_on_deps, running) =
            (decode_all(ready)?, decode_all(blocked)?, decode_all(running)?);
        let stats = QueueStats {
            worker_count,
            pending_count: pending.len(),
            waiting_on_deps_count: waiting_on_deps.len(),
            running_count: running.len(),
        };
        Ok(QueueInfo { pending, waiting_on_deps, running, stats, paused })
    }

    async fn set_paused(&self, paused: bool) -> Result<(), QueueError> {
        self.run("pausing", SCRIPTS.pause.arg(&self.prefix).arg(if paused { "1" } else { "0" })).await
    }

    async fn kick(&self, agent_id: i64) -> Result<(), QueueError> {
        self.run("kicking an agent's polls", SCRIPTS.kick.arg(&self.prefix).arg(agent_id)).await
    }
}
