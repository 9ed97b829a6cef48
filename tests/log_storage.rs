//! The log storage contract, run unchanged on every adapter: the database on every SQL backend
//! (`sqlite::<behaviour>`, `postgres::<behaviour>`, `mysql::<behaviour>`; see tests/store.rs) and
//! files (`file::<behaviour>`, steps created in a SQLite store).

#[path = "store_contract/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "store_contract/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use nuthatch::adapters::fs::log::FileLogStore;
use nuthatch::adapters::memory::livelog::MemoryLiveLog;
use nuthatch::adapters::memory::pubsub::MemoryPubSub;
use nuthatch::adapters::memory::queue::MemoryQueue;
use nuthatch::app::engine::Engine;
use nuthatch::app::log_retention::sweep;
use nuthatch::app::step_logs::{delete_pipeline_logs, delete_repo_logs};
use nuthatch::domain::log::{LogEntry, LogEntryType, LogRetention};
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::status::Status;
use nuthatch::ports::clock::SystemClock;
use nuthatch::ports::logs::LogStorage;
use nuthatch::ports::store::{PipelineStore, WorkflowStore};

/// A log storage under test, with a database holding the steps its lines belong to.
struct Storage {
    db: db::TestDb,
    /// The adapter, when it is not the database itself.
    logs: Option<Arc<dyn LogStorage>>,
    /// The file adapter's directory, removed at the end.
    dir: Option<PathBuf>,
}

impl Storage {
    async fn database(db: db::TestDb) -> Self {
        Self { db, logs: None, dir: None }
    }

    async fn file() -> Self {
        let dir = std::env::temp_dir().join(format!("nuthatch-logs-{}", rand_suffix()));
        let logs = Arc::new(FileLogStore::open(&dir).unwrap());
        Self { db: db::TestDb::sqlite().await, logs: Some(logs), dir: Some(dir) }
    }

    /// The same storage as another server sees it: a store of its own on the same database or
    /// directory.
    async fn again(&self) -> Arc<dyn LogStorage> {
        match &self.dir {
            Some(dir) => Arc::new(FileLogStore::open(dir).unwrap()),
            None => Arc::new(self.db.connect_again().await),
        }
    }

    /// The server's ports over this storage, as a second server has them.
    async fn engine(&self) -> Engine {
        Engine {
            store: Arc::new(self.db.connect_again().await),
            queue: Arc::new(MemoryQueue::new()),
            pubsub: Arc::new(MemoryPubSub::new()),
            livelog: Arc::new(MemoryLiveLog::new()),
            logs: self.again().await,
            clock: Arc::new(SystemClock),
        }
    }

    /// A stored step to hang lines on.
    async fn step(&self, uuid: &str) -> i64 {
        let store = self.db.store();
        let repo = fixtures::create_repo(store, &format!("octo/{uuid}")).await;
        let pipeline = fixtures::create_pipeline(store, repo.id).await;
        fixtures::create_step(store, pipeline.id, uuid).await.id
    }
}

impl std::ops::Deref for Storage {
    type Target = dyn LogStorage;
    fn deref(&self) -> &Self::Target {
        match &self.logs {
            Some(logs) => logs.as_ref(),
            None => self.db.store(),
        }
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{}-{nanos:x}", std::process::id())
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

async fn a_resent_line_is_stored_once_keeping_the_first(store: &Storage) {
    let s = store.step("a").await;
    store.append(&lines(s, 0..5, "first")).await.unwrap();
    store.append(&lines(s, 3..8, "again")).await.unwrap();
    let got = store.read(s, 0, 100).await.unwrap();
    assert_eq!(numbers(&got), (0..8).collect::<Vec<_>>());
    assert_eq!(got[4].data, b"first 4");
    assert_eq!(got[5].data, b"again 5");
    assert_eq!(store.line_count(s).await.unwrap(), 8);
}

async fn lines_are_read_in_order_by_page(store: &Storage) {
    let (s, other) = (store.step("a").await, store.step("b").await);
    let mut batch = lines(s, 5..10, "x");
    batch.extend(lines(other, 0..3, "y"));
    batch.extend(lines(s, 0..5, "x"));
    store.append(&batch).await.unwrap();
    assert_eq!(numbers(&store.read(s, 0, 4).await.unwrap()), [0, 1, 2, 3]);
    assert_eq!(numbers(&store.read(s, 4, 4).await.unwrap()), [4, 5, 6, 7]);
    assert_eq!(numbers(&store.read(s, 8, 4).await.unwrap()), [8, 9]);
    assert_eq!(store.line_count(other).await.unwrap(), 3);
}

async fn deleting_removes_only_that_steps_lines(store: &Storage) {
    let (s, other) = (store.step("a").await, store.step("b").await);
    store.append(&lines(s, 0..3, "x")).await.unwrap();
    store.append(&lines(other, 0..3, "y")).await.unwrap();
    store.delete(s).await.unwrap();
    store.delete(s).await.unwrap();
    assert_eq!(store.line_count(s).await.unwrap(), 0);
    assert_eq!(store.line_count(other).await.unwrap(), 3);
}

async fn a_batch_of_50_001_lines_is_stored_and_read_back(store: &Storage) {
    let s = store.step("a").await;
    let batch = lines(s, 0..50_001, "a typical log line of some length");
    let started = Instant::now();
    store.append(&batch).await.unwrap();
    eprintln!("stored 50 001 lines in {:?}", started.elapsed());
    assert_eq!(store.line_count(s).await.unwrap(), 50_001);
    let got = store.read(s, 0, 100_000).await.unwrap();
    assert_eq!(numbers(&got), (0..50_001).collect::<Vec<_>>());
    assert_eq!(got[50_000].data, b"a typical log line of some length 50000");
}

async fn every_field_and_any_bytes_round_trip(store: &Storage) {
    let s = store.step("a").await;
    let sent = vec![
        LogEntry {
            step_id: s,
            line: 0,
            time: 7,
            data: vec![0xff, 0, b'\n', 0xc3],
            entry_type: LogEntryType::Stderr,
            created: 1_700_000_000,
            ..LogEntry::default()
        },
        LogEntry {
            step_id: s,
            line: 1,
            time: 8,
            data: Vec::new(),
            entry_type: LogEntryType::ExitCode,
            created: 1_700_000_001,
            ..LogEntry::default()
        },
    ];
    store.append(&sent).await.unwrap();
    let got = store.read(s, 0, 10).await.unwrap();
    let without_ids: Vec<LogEntry> = got.into_iter().map(|e| LogEntry { id: 0, ..e }).collect();
    assert_eq!(without_ids, sent);
}

async fn another_server_reads_the_lines_and_skips_them_when_resent(store: &Storage) {
    let s = store.step("a").await;
    store.append(&lines(s, 0..3, "first")).await.unwrap();
    let other = store.again().await;
    assert_eq!(numbers(&other.read(s, 0, 10).await.unwrap()), [0, 1, 2]);
    other.append(&lines(s, 2..5, "again")).await.unwrap();
    store.append(&lines(s, 4..6, "third")).await.unwrap();
    let got = store.read(s, 0, 10).await.unwrap();
    assert_eq!(numbers(&got), [0, 1, 2, 3, 4, 5]);
    assert_eq!(got[2].data, b"first 2");
    assert_eq!(got[4].data, b"again 4");
    assert_eq!(other.line_count(s).await.unwrap(), 6);
}

async fn a_step_takes_lines_again_after_its_log_was_deleted(store: &Storage) {
    let s = store.step("a").await;
    store.append(&lines(s, 0..3, "old")).await.unwrap();
    store.delete(s).await.unwrap();
    store.append(&lines(s, 0..2, "new")).await.unwrap();
    let got = store.read(s, 0, 10).await.unwrap();
    assert_eq!(numbers(&got), [0, 1]);
    assert_eq!(got[0].data, b"new 0");
}

async fn concurrent_batches_of_many_steps_are_all_stored(store: &Storage) {
    let mut steps = Vec::new();
    for n in 0..4 {
        steps.push(store.step(&format!("s{n}")).await);
    }
    let batches = steps.iter().flat_map(|&s| (0..5).map(move |k| lines(s, k * 100..(k + 1) * 100, "x")));
    futures_util::future::try_join_all(batches.map(|batch| async move { store.append(&batch).await }))
        .await
        .unwrap();
    for s in steps {
        assert_eq!(store.line_count(s).await.unwrap(), 500);
        assert_eq!(numbers(&store.read(s, 0, 1000).await.unwrap()), (0..500).collect::<Vec<_>>());
    }
}

/// A pipeline of `repo_id` in `status`, finished `days_ago`, with one logged step per uuid.
async fn logged_pipeline(
    store: &Storage,
    repo_id: i64,
    status: Status,
    days_ago: i64,
    uuids: &[&str],
) -> Vec<i64> {
    let db = store.db.store();
    let finished = if status.is_active() { 0 } else { now() - days_ago * 86_400 };
    let pipeline = Pipeline { status, finished, ..fixtures::pipeline(repo_id) };
    let pipeline = db.create_pipeline(&pipeline).await.unwrap();
    let trees = db.create_workflows(&[fixtures::tree(pipeline.id, 1, uuids)]).await.unwrap();
    let steps: Vec<i64> = trees[0].steps.iter().map(|s| s.id).collect();
    for &s in &steps {
        store.append(&lines(s, 0..3, "x")).await.unwrap();
    }
    steps
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn retention_deletes_the_logs_of_expired_pipelines_once_however_many_servers_sweep(store: &Storage) {
    let repo = fixtures::create_repo(store.db.store(), "octo/kept").await;
    let expired = logged_pipeline(store, repo.id, Status::Success, 10, &["old-a", "old-b"]).await;
    let recent = logged_pipeline(store, repo.id, Status::Failure, 1, &["recent"]).await;
    let running = logged_pipeline(store, repo.id, Status::Running, 0, &["running"]).await;
    let (one, two) = (store.engine().await, store.engine().await);
    let week = LogRetention::Days(7);
    let (a, b) = tokio::join!(sweep(&one, week), sweep(&two, week));
    assert!((1..=2).contains(&(a.unwrap() + b.unwrap())), "each server expires the pipeline at most once");
    for s in expired {
        assert_eq!(store.line_count(s).await.unwrap(), 0);
    }
    for s in recent.into_iter().chain(running) {
        assert_eq!(store.line_count(s).await.unwrap(), 3);
    }
    assert_eq!(sweep(&one, week).await.unwrap(), 0, "an expired pipeline is not swept again");
}

/// No log of `step` is left: none stored, and for files no file either.
async fn no_logs_left(store: &Storage, step: i64) {
    assert_eq!(store.line_count(step).await.unwrap(), 0, "step {step}");
    if let Some(dir) = &store.dir {
        assert!(!dir.join(format!("{step}.json")).exists(), "the file of step {step} is left");
    }
}

async fn deleting_a_repos_logs_reaches_every_pipeline_of_it_and_no_other(store: &Storage) {
    let db = store.db.store();
    let (gone, kept) =
        (fixtures::create_repo(db, "octo/gone").await, fixtures::create_repo(db, "octo/kept").await);
    let mut deleted = logged_pipeline(store, gone.id, Status::Success, 1, &["gone-a1", "gone-a2"]).await;
    deleted.extend(logged_pipeline(store, gone.id, Status::Failure, 2, &["gone-b"]).await);
    let untouched = logged_pipeline(store, kept.id, Status::Success, 1, &["kept"]).await;
    let engine = store.engine().await;
    delete_repo_logs(engine.store.as_ref(), engine.logs.as_ref(), gone.id).await.unwrap();
    for s in deleted {
        no_logs_left(store, s).await;
    }
    for s in untouched {
        assert_eq!(store.line_count(s).await.unwrap(), 3);
    }
}

async fn deleting_a_pipelines_logs_leaves_the_other_pipelines_of_the_repo(store: &Storage) {
    let repo = fixtures::create_repo(store.db.store(), "octo/half").await;
    let deleted = logged_pipeline(store, repo.id, Status::Success, 1, &["first-a", "first-b"]).await;
    let untouched = logged_pipeline(store, repo.id, Status::Success, 1, &["second"]).await;
    let engine = store.engine().await;
    let pipeline_id = engine.store.get_step(deleted[0]).await.unwrap().pipeline_id;
    delete_pipeline_logs(engine.store.as_ref(), engine.logs.as_ref(), pipeline_id).await.unwrap();
    for s in deleted {
        no_logs_left(store, s).await;
    }
    assert_eq!(store.line_count(untouched[0]).await.unwrap(), 3);
}

macro_rules! backend {
    ($backend:ident = $open:expr; $($behaviour:ident),* $(,)?) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::{Storage, db::TestDb};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(&$open).await;
                }
            )*
        }
    };
}

macro_rules! contract {
    ($($behaviour:ident),* $(,)?) => {
        backend!(sqlite = Storage::database(TestDb::sqlite().await).await; $($behaviour),*);
        backend!(postgres = Storage::database(TestDb::postgres().await).await; $($behaviour),*);
        backend!(mysql = Storage::database(TestDb::mysql().await).await; $($behaviour),*);
        backend!(file = Storage::file().await; $($behaviour),*);
    };
}

contract!(
    a_resent_line_is_stored_once_keeping_the_first,
    lines_are_read_in_order_by_page,
    deleting_removes_only_that_steps_lines,
    a_batch_of_50_001_lines_is_stored_and_read_back,
    every_field_and_any_bytes_round_trip,
    another_server_reads_the_lines_and_skips_them_when_resent,
    a_step_takes_lines_again_after_its_log_was_deleted,
    concurrent_batches_of_many_steps_are_all_stored,
    retention_deletes_the_logs_of_expired_pipelines_once_however_many_servers_sweep,
    deleting_a_repos_logs_reaches_every_pipeline_of_it_and_no_other,
    deleting_a_pipelines_logs_leaves_the_other_pipelines_of_the_repo,
);
