//! The live-log contract run against every adapter: `memory::<behaviour>` and
//! `redis::<behaviour>` (each test on a key prefix of its own; `NUTHATCH_TEST_REDIS`).

#[path = "common/redis.rs"]
mod test_redis;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nuthatch::adapters::memory::livelog::MemoryLiveLog;
use nuthatch::adapters::redis::livelog::RedisLiveLog;
use nuthatch::domain::log::LogEntry;
use nuthatch::ports::livelog::{LiveLog, Sequenced, Tail};

/// Two handles of one backend: the same process for memory, two servers for Redis.
struct Pair {
    a: Arc<dyn LiveLog>,
    b: Arc<dyn LiveLog>,
}

async fn memory() -> Pair {
    let shared: Arc<dyn LiveLog> = Arc::new(MemoryLiveLog::new());
    Pair { a: shared.clone(), b: shared }
}

async fn redis() -> Pair {
    let prefix = test_redis::unique_prefix();
    Pair {
        a: Arc::new(RedisLiveLog::new(test_redis::redis(&prefix).await)),
        b: Arc::new(RedisLiveLog::new(test_redis::redis(&prefix).await)),
    }
}

fn lines(step_id: i64, range: std::ops::Range<i32>) -> Vec<LogEntry> {
    range
        .map(|n| LogEntry {
            step_id,
            time: i64::from(n),
            line: n,
            data: format!("line {n}").into_bytes(),
            ..LogEntry::default()
        })
        .collect()
}

async fn next(tail: &mut Tail) -> Option<Sequenced> {
    tokio::time::timeout(Duration::from_secs(5), tail.next()).await.expect("tail stalled for 5 s")
}

/// Everything a tail yields until its end (which must come within 5 s).
async fn to_end(tail: Tail) -> Vec<(u64, i32)> {
    tokio::time::timeout(Duration::from_secs(5), tail.map(|s| (s.seq, s.entry.line)).collect())
        .await
        .expect("tail did not end within 5 s")
}

async fn a_tail_replays_after_a_seq_then_follows_until_close(p: Pair) {
    p.a.append(1, &lines(1, 0..5)).await.unwrap();
    let mut tail = p.a.tail(1, 2).await.unwrap();
    for (seq, line) in [(3, 2), (4, 3), (5, 4)] {
        let got = next(&mut tail).await.unwrap();
        assert_eq!((got.seq, got.entry.line, got.entry.step_id), (seq, line, 1));
        assert_eq!(got.entry.data, format!("line {line}").into_bytes());
    }
    let live = tokio::spawn(async move { to_end(tail).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    p.a.append(1, &lines(1, 5..7)).await.unwrap();
    p.a.close(1).await.unwrap();
    assert_eq!(live.await.unwrap(), [(6, 5), (7, 6)]);
}

async fn a_tail_of_a_closed_stream_replays_it_and_ends(p: Pair) {
    p.a.append(1, &lines(1, 0..3)).await.unwrap();
    p.a.close(1).await.unwrap();
    assert_eq!(to_end(p.a.tail(1, 0).await.unwrap()).await, [(1, 0), (2, 1), (3, 2)]);
    assert_eq!(to_end(p.a.tail(1, 3).await.unwrap()).await, Vec::<(u64, i32)>::new());
}

async fn lines_appended_after_close_are_kept_within_the_retention(p: Pair) {
    p.a.append(1, &lines(1, 0..2)).await.unwrap();
    p.a.close(1).await.unwrap();
    p.a.append(1, &lines(1, 2..4)).await.unwrap();
    assert_eq!(to_end(p.a.tail(1, 0).await.unwrap()).await, [(1, 0), (2, 1), (3, 2), (4, 3)]);
    assert_eq!(to_end(p.a.tail(1, 2).await.unwrap()).await, [(3, 2), (4, 3)]);
}

async fn a_step_without_a_stream_gets_an_open_empty_one(p: Pair) {
    let mut tail = p.a.tail(9, 0).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(300), tail.next()).await;
    assert!(waited.is_err(), "an open stream waits: {waited:?}");
    p.a.close(9).await.unwrap();
    assert_eq!(next(&mut tail).await, None);
}

async fn steps_have_streams_of_their_own(p: Pair) {
    p.a.append(1, &lines(1, 0..2)).await.unwrap();
    p.a.append(2, &lines(2, 0..1)).await.unwrap();
    p.a.close(1).await.unwrap();
    p.a.close(2).await.unwrap();
    assert_eq!(to_end(p.a.tail(1, 0).await.unwrap()).await, [(1, 0), (2, 1)]);
    assert_eq!(to_end(p.a.tail(2, 0).await.unwrap()).await, [(1, 0)]);
}

async fn handles_on_one_backend_share_streams(p: Pair) {
    let tail = p.b.tail(1, 0).await.unwrap();
    let live = tokio::spawn(async move { to_end(tail).await });
    p.a.append(1, &lines(1, 0..2)).await.unwrap();
    p.b.append(1, &lines(1, 2..3)).await.unwrap();
    p.a.close(1).await.unwrap();
    assert_eq!(live.await.unwrap(), [(1, 0), (2, 1), (3, 2)]);
}

async fn concurrent_appends_get_distinct_gap_free_seqs(p: Pair) {
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let live = if w % 2 == 0 { p.a.clone() } else { p.b.clone() };
            tokio::spawn(async move {
                for batch in 0..10 {
                    let start = w * 1000 + batch * 10;
                    live.append(1, &lines(1, start..start + 10)).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    p.a.close(1).await.unwrap();
    let seqs: Vec<u64> = to_end(p.b.tail(1, 0).await.unwrap()).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(seqs, (1..=400).collect::<Vec<_>>());
}

macro_rules! contract {
    ($($behaviour:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(super::memory().await).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(super::redis().await).await;
                }
            )*
        }
    };
}

contract!(
    a_tail_replays_after_a_seq_then_follows_until_close,
    a_tail_of_a_closed_stream_replays_it_and_ends,
    lines_appended_after_close_are_kept_within_the_retention,
    a_step_without_a_stream_gets_an_open_empty_one,
    steps_have_streams_of_their_own,
    handles_on_one_backend_share_streams,
    concurrent_appends_get_distinct_gap_free_seqs,
);
