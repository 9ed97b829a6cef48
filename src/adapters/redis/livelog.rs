//! Live logs on Redis: one stream per step (`<prefix>livelog:<step_id>`), so every server sharing
//! the Redis tails the lines any server appended.
//!
//! The entry ids carry the sequence numbers: entry `n` has the id `<n>-0`, numbered by a script
//! from the stream's last id, so appends of several servers interleave without gaps. A close
//! adds a marker entry `<n>-<k>` (`k` ≥ 1, field `eof`), which sorts after line `n` and before
//! line `n + 1`, and sets the stream to expire [`CLOSED_RETENTION`] later. Tails read with
//! `XREAD` (`BLOCK` once caught up) on a connection of their own, and finish with the entries
//! present when they meet a marker.
//!
//! Memory is bounded per step: a stream keeps about [`MAX_STEP_ENTRIES`] entries (approximate
//! `MAXLEN` trimming), and an open stream expires [`OPEN_IDLE_EXPIRY`] after its last append
//! (a step whose server died never closes it). A stream whose expiry is at most the closed
//! retention counts as closed, and appends leave that expiry alone.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, AsyncConnectionConfig, Script};

use crate::adapters::redis::Redis;
use crate::domain::log::{LogEntry, LogEntryType};
use crate::ports::livelog::{CLOSED_RETENTION, LiveLog, LiveLogError, Sequenced, Tail};

/// About how many entries a step's stream keeps; older ones are trimmed first.
pub const MAX_STEP_ENTRIES: usize = 100_000;

/// How long an open stream lives after its last append.
pub const OPEN_IDLE_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// Entries per append script call, so that one call stays short on the server.
const APPEND_CHUNK: usize = 500;

/// Entries per tail read.
const TAIL_BATCH: usize = 512;

/// How long a tail's `XREAD` blocks before asking again.
const BLOCK: Duration = Duration::from_secs(10);

/// KEYS[1] = stream; ARGV = max entries, open expiry (s), closed retention (s), then per entry
/// id, time, line, type, created, data. Numbers the entries on from the last id and keeps the
/// expiry of a closed stream.
const APPEND: &str = r"
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local seq = 0
if #last > 0 then seq = tonumber(string.match(last[1][1], '^(%d+)')) end
local ttl = redis.call('TTL', KEYS[1])
for b = 4, #ARGV, 6 do
  seq = seq + 1
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], seq .. '-0',
    'i', ARGV[b], 't', ARGV[b + 1], 'l', ARGV[b + 2], 'k', ARGV[b + 3], 'c', ARGV[b + 4], 'd', ARGV[b + 5])
end
if ttl < 0 or ttl > tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return seq
";

/// KEYS[1] = stream; ARGV[1] = closed retention (s). Adds the marker right after the last id.
const CLOSE: &str = r"
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = '0-1'
if #last > 0 then
  local ms, sq = string.match(last[1][1], '^(%d+)-(%d+)$')
  id = ms .. '-' .. (tonumber(sq) + 1)
end
redis.call('XADD', KEYS[1], id, 'eof', '1')
redis.call('EXPIRE', KEYS[1], ARGV[1])
return id
";

/// Live step logs shared by every server on one Redis.
#[derive(Clone)]
pub struct RedisLiveLog {
    redis: Redis,
    append: Script,
    close: Script,
}

impl RedisLiveLog {
    /// Live logs on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis, append: Script::new(APPEND), close: Script::new(CLOSE) }
    }

    fn key(&self, step_id: i64) -> String {
        self.redis.key(&format!("livelog:{step_id}"))
    }
}

#[async_trait]
impl LiveLog for RedisLiveLog {
    async fn append(&self, step_id: i64, entries: &[LogEntry]) -> Result<(), LiveLogError> {
        let key = self.key(step_id);
        let mut conn = self.redis.manager.clone();
        for chunk in entries.chunks(APPEND_CHUNK) {
            let mut call = self.append.key(&key);
            call.arg(MAX_STEP_ENTRIES).arg(OPEN_IDLE_EXPIRY.as_secs()).arg(CLOSED_RETENTION.as_secs());
            for e in chunk {
                call.arg(e.id).arg(e.time).arg(e.line).arg(e.entry_type as i32).arg(e.created).arg(&e.data);
            }
            let _: i64 = call.invoke_async(&mut conn).await.map_err(|e| unavailable("append", e))?;
        }
        Ok(())
    }

    async fn close(&self, step_id: i64) -> Result<(), LiveLogError> {
        let mut conn = self.redis.manager.clone();
        let mut call = self.close.key(self.key(step_id));
        call.arg(CLOSED_RETENTION.as_secs());
        let _: String = call.invoke_async(&mut conn).await.map_err(|e| unavailable("close", e))?;
        Ok(())
    }

    async fn tail(&self, step_id: i64, after: u64) -> Result<Tail, LiveLogError> {
        // Its own connection: a blocked `XREAD` would hold up every command sharing one, and
        // its replies may take up to `BLOCK` plus the round trip.
        let config = AsyncConnectionConfig::new().set_response_timeout(Some(BLOCK + Duration::from_secs(5)));
        let conn = self
            .redis
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| unavailable("tail", e))?;
        let state = TailState {
            conn,
            step_id,
            key: self.key(step_id),
            last_id: format!("{after}-0"),
            pending: Vec::new().into_iter(),
            closing: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(state, TailState::next)))
    }
}

/// Where a tail stands.
struct TailState {
    conn: MultiplexedConnection,
    step_id: i64,
    key: String,
    /// The id of the last stream entry read (a line or a marker).
    last_id: String,
    pending: std::vec::IntoIter<Sequenced>,
    /// A marker was read: hand out what is there, without waiting for more.
    closing: bool,
}

impl TailState {
    /// The next line; `None` after a marker once the stream holds nothing more, or when Redis
    /// cannot be read any longer.
    async fn next(mut self) -> Option<(Sequenced, Self)> {
        loop {
            if let Some(item) = self.pending.next() {
                return Some((item, self));
            }
            let mut options = StreamReadOptions::default().count(TAIL_BATCH);
            if !self.closing {
                options = options.block(usize::try_from(BLOCK.as_millis()).unwrap_or(usize::MAX));
            }
            let reply: Option<StreamReadReply> =
                match self.conn.xread_options(&[&self.key], &[&self.last_id], &options).await {
                    Ok(reply) => reply,
                    Err(error) => {
                        tracing::warn!(%error, key = self.key, "live log tail ended: cannot read redis");
                        return None;
                    }
                };
            let ids: Vec<StreamId> = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids).collect();
            if ids.is_empty() && self.closing {
                return None;
            }
            let mut lines = Vec::with_capacity(ids.len());
            for id in ids {
                match line(&id, self.step_id) {
                    Some(item) => lines.push(item),
                    None => self.closing = true,
                }
                self.last_id = id.id;
            }
            self.pending = lines.into_iter();
        }
    }
}

/// The line a stream entry of a step holds, `None` for a close marker.
fn line(id: &StreamId, step_id: i64) -> Option<Sequenced> {
    let (seq, marker) = id.id.split_once('-')?;
    if marker != "0" || id.contains_key("eof") {
        return None;
    }
    let int = |field: &str| id.get::<i64>(field).unwrap_or_default();
    let entry = LogEntry {
        id: int("i"),
        step_id,
        time: int("t"),
        line: id.get("l").unwrap_or_default(),
        data: id.get("d").unwrap_or_default(),
        entry_type: LogEntryType::from_i32(id.get("k").unwrap_or_default()),
        created: int("c"),
    };
    Some(Sequenced { seq: seq.parse().ok()?, entry })
}

fn unavailable(operation: &str, error: redis::RedisError) -> LiveLogError {
    LiveLogError::Unavailable { backend: "redis", message: format!("live log {operation}: {error}") }
}
