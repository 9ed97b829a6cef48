//! Crons: run now over HTTP, and the scheduler, which fires a due cron exactly once even when
//! several servers share the database.

use std::sync::Arc;

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::memory::livelog::MemoryLiveLog;
use nuthatch::adapters::memory::pubsub::MemoryPubSub;
use nuthatch::adapters::memory::queue::MemoryQueue;
use nuthatch::adapters::sql::{Driver, SqlStore};
use nuthatch::app::cron_scheduler::run_due;
use nuthatch::app::engine::Engine;
use nuthatch::app::pipelines::{PipelineSettings, Pipelines};
use nuthatch::domain::event::WebhookEvent;
use nuthatch::ports::clock::SystemClock;
use nuthatch::ports::store::{Page, PipelineFilter, Store};
use reqwest::Method;
use serde_json::{Value, json};

use super::{ONE_STEP, Project};

async fn create_cron(p: &Project) -> i64 {
    let resp = p
        .app
        .client
        .post(p.app.url(&format!("/api/repos/{}/cron", p.repo_id)))
        .bearer_auth(&p.token)
        .json(&json!({"name": "nightly", "schedule": "@daily", "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cron_runs_now_on_the_default_branch() {
    let p = Project::new().await;
    let sha = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    let cron = create_cron(&p).await;
    let resp = p.call(Method::POST, &format!("/cron/{cron}")).await;
    assert_eq!(resp.status(), 200);
    let pipeline: Value = resp.json().await.unwrap();
    assert_eq!((pipeline["event"].as_str(), pipeline["branch"].as_str()), (Some("cron"), Some("main")));
    assert_eq!(
        (pipeline["commit"].as_str(), pipeline["message"].as_str()),
        (Some(sha.as_str()), Some("nightly"))
    );
    assert_eq!(pipeline["status"], "pending");
    assert_eq!(p.call(Method::POST, "/cron/999").await.status(), 404);
}

/// A second "server": its own engine (memory queue) over the same database file.
async fn server(store: Arc<SqlStore>, forge: Arc<LocalForge>) -> Pipelines {
    let engine = Engine {
        store: store.clone(),
        queue: Arc::new(MemoryQueue::new()),
        pubsub: Arc::new(MemoryPubSub::new()),
        livelog: Arc::new(MemoryLiveLog::new()),
        logs: store,
        clock: Arc::new(SystemClock),
    };
    Pipelines::new(engine, forge, PipelineSettings::new("http://localhost"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_schedulers_fire_a_due_cron_once() {
    let p = Project::new().await;
    p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    let cron_id = create_cron(&p).await;
    let forge = Arc::new(p.app.local_forge().await);
    let db = forge.root().parent().unwrap().join("nuthatch.sqlite");
    let (a, b) = (
        server(
            Arc::new(SqlStore::connect(Driver::Sqlite, db.to_str().unwrap(), 2).await.unwrap()),
            forge.clone(),
        )
        .await,
        server(Arc::new(SqlStore::connect(Driver::Sqlite, db.to_str().unwrap(), 2).await.unwrap()), forge)
            .await,
    );
    let store: &Arc<dyn Store> = &p.app.store;
    for round in 1..=3 {
        let mut cron = store.get_cron(p.repo_id, cron_id).await.unwrap();
        cron.next_exec = 1;
        store.update_cron(&cron).await.unwrap();
        let (won_a, won_b) = tokio::join!(run_due(&a), run_due(&b));
        assert_eq!(won_a.unwrap() + won_b.unwrap(), 1, "round {round}");
        let filter = PipelineFilter { events: vec![WebhookEvent::Cron], ..PipelineFilter::default() };
        let crons = store.list_pipelines(p.repo_id, &filter, Page::default()).await.unwrap();
        assert_eq!(crons.len(), round, "one pipeline per round");
        let next = store.get_cron(p.repo_id, cron_id).await.unwrap().next_exec;
        assert!(next > 1, "the claim moved the next run forward");
    }
    let (won_a, won_b) = tokio::join!(run_due(&a), run_due(&b));
    assert_eq!(won_a.unwrap() + won_b.unwrap(), 0, "nothing is due any more");
}
