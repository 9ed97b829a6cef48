//! The log storage contract on the database adapter, on every SQL backend
//! (`sqlite::<behaviour>`, `postgres::<behaviour>`, `mysql::<behaviour>`; see tests/store.rs).

#[path = "store_contract/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "store_contract/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::time::Instant;

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::log::LogEntry;
use nuthatch::ports::logs::LogStorage;

/// A stored step to hang lines on.
async fn step(store: &SqlStore, uuid: &str) -> i64 {
    let repo = fixtures::create_repo(store, &format!("octo/{uuid}")).await;
    let pipeline = fixtures::create_pipeline(store, repo.id).await;
    fixtures::create_step(store, pipeline.id, uuid).await.id
}

fn lines(step_id: i64, range: std::ops::Range<i32>, text: &str) -> Vec<LogEntry> {
    range
        .map(|n| LogEntry {
            step_id,
            line: n,
            time: 1,
            data: format!("{text} {n}").into_bytes(),
            ..LogEntry::default()
        })
        .collect()
}

fn numbers(entries: &[LogEntry]) -> Vec<i32> {
    entries.iter().map(|e| e.line).collect()
}

async fn a_resent_line_is_stored_once_keeping_the_first(store: &SqlStore) {
    let s = step(store, "a").await;
    store.append(&lines(s, 0..5, "first")).await.unwrap();
    store.append(&lines(s, 3..8, "again")).await.unwrap();
    let got = store.read(s, 0, 100).await.unwrap();
    assert_eq!(numbers(&got), (0..8).collect::<Vec<_>>());
    assert_eq!(got[4].data, b"first 4");
    assert_eq!(got[5].data, b"again 5");
    assert_eq!(store.line_count(s).await.unwrap(), 8);
}

async fn lines_are_read_in_order_by_page(store: &SqlStore) {
    let (s, other) = (step(store, "a").await, step(store, "b").await);
    let mut batch = lines(s, 5..10, "x");
    batch.extend(lines(other, 0..3, "y"));
    batch.extend(lines(s, 0..5, "x"));
    store.append(&batch).await.unwrap();
    assert_eq!(numbers(&store.read(s, 0, 4).await.unwrap()), [0, 1, 2, 3]);
    assert_eq!(numbers(&store.read(s, 4, 4).await.unwrap()), [4, 5, 6, 7]);
    assert_eq!(numbers(&store.read(s, 8, 4).await.unwrap()), [8, 9]);
    assert_eq!(store.line_count(other).await.unwrap(), 3);
}

async fn deleting_removes_only_that_steps_lines(store: &SqlStore) {
    let (s, other) = (step(store, "a").await, step(store, "b").await);
    store.append(&lines(s, 0..3, "x")).await.unwrap();
    store.append(&lines(other, 0..3, "y")).await.unwrap();
    store.delete(s).await.unwrap();
    store.delete(s).await.unwrap();
    assert_eq!(store.line_count(s).await.unwrap(), 0);
    assert_eq!(store.line_count(other).await.unwrap(), 3);
}

async fn a_batch_of_50_001_lines_is_stored_and_read_back(store: &SqlStore) {
    let s = step(store, "a").await;
    let batch = lines(s, 0..50_001, "a typical log line of some length");
    let started = Instant::now();
    store.append(&batch).await.unwrap();
    eprintln!("stored 50 001 lines in {:?}", started.elapsed());
    assert_eq!(store.line_count(s).await.unwrap(), 50_001);
    let got = store.read(s, 0, 100_000).await.unwrap();
    assert_eq!(numbers(&got), (0..50_001).collect::<Vec<_>>());
    assert_eq!(got[50_000].data, b"a typical log line of some length 50000");
}

macro_rules! backend {
    ($backend:ident; $($behaviour:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let db = super::db::TestDb::$backend().await;
                    super::$behaviour(db.store()).await;
                }
            )*
        }
    };
}

macro_rules! contract {
    ($($behaviour:ident),* $(,)?) => {
        backend!(sqlite; $($behaviour),*);
        backend!(postgres; $($behaviour),*);
        backend!(mysql; $($behaviour),*);
    };
}

contract!(
    a_resent_line_is_stored_once_keeping_the_first,
    lines_are_read_in_order_by_page,
    deleting_removes_only_that_steps_lines,
    a_batch_of_50_001_lines_is_stored_and_read_back,
);
