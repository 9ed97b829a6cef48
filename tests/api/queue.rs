//! Black-box tests of the queue administration: the snapshot with pipeline numbers and agent
//! names, pausing and resuming, waiting until nothing runs, and an agent's running tasks.

use std::collections::BTreeMap;
use std::time::Duration;

use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::status::Status;
use nuthatch::domain::task::Task;
use nuthatch::ports::queue::Worker;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::pipelines::{pipeline, store_run};
use crate::secrets::{expect, repo_fixture};

/// A task of a workflow of the pipeline, matchable by any agent offering `repo=*`.
fn task(id: &str, repo_id: i64, pipeline_id: i64) -> Task {
    let labels = BTreeMap::from([("repo".to_owned(), "admin/app".to_owned())]);
    Task { id: id.into(), name: format!("wf-{id}"), repo_id, pipeline_id, labels, ..Task::default() }
}

/// Hands the next task to the agent, as its `Next` call would.
async fn take(app: &TestApp, agent_id: i64) -> Task {
    let worker = Worker { agent_id, labels: BTreeMap::from([("repo".to_owned(), "*".to_owned())]) };
    let polled = tokio::time::timeout(Duration::from_secs(5), app.engine.queue.poll(&worker)).await;
    polled.expect("a task is handed out").unwrap().expect("the poll was not kicked")
}

/// Registers an agent; returns its id.
async fn agent(app: &TestApp, name: &str) -> i64 {
    let body = Some(json!({"name": name}));
    expect(app, Method::POST, "/api/agents", Some(&app.admin.token), body, 200).await["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_snapshot_names_pipelines_and_agents() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Success, 1), &[]).await;
    let run = store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Running, 2), &[]).await;
    let pid = run.pipeline.id;
    let mut dependent = task("3", repo.id, pid);
    dependent.dependencies = vec!["1".into()];
    app.engine.queue.push(vec![task("1", repo.id, pid), task("2", repo.id, pid), dependent]).await.unwrap();
    let runner = agent(&app, "runner-1").await;
    assert_eq!(take(&app, runner).await.id, "1");

    let admin = Some(app.admin.token.as_str());
    expect(&app, Method::GET, "/api/queue/info", None, None, 401).await;
    expect(&app, Method::GET, "/api/queue/info", Some(&repo.writer), None, 403).await;
    let info = expect(&app, Method::GET, "/api/queue/info", admin, None, 200).await;
    let ids = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        (ids(&info["pending"]), ids(&info["waiting_on_deps"])),
        (vec!["2".to_owned()], vec!["3".to_owned()])
    );
    assert_eq!(ids(&info["running"]), ["1"]);
    let running = &info["running"][0];
    assert_eq!(
        (running["pipeline_number"].as_i64(), running["agent_name"].as_str()),
        (Some(2), Some("runner-1"))
    );
    assert_eq!((running["agent_id"].as_i64(), running["pipeline_id"].as_i64()), (Some(runner), Some(pid)));
    assert_eq!(running["name"], "wf-1");
    assert!(running.get("data").is_none());
    assert_eq!(
        (info["pending"][0]["agent_name"].as_str(), info["pending"][0]["pipeline_number"].as_i64()),
        (Some(""), Some(2))
    );
    assert_eq!(
        info["stats"],
        json!({"worker_count": 0, "pending_count": 1, "waiting_on_deps_count": 1, "running_count": 1})
    );
    assert_eq!(info["paused"], false);

    let tasks = format!("/api/agents/{runner}/tasks");
    expect(&app, Method::GET, &tasks, Some(&repo.writer), None, 403).await;
    let mine = expect(&app, Method::GET, &tasks, admin, None, 200).await;
    assert_eq!(ids(&mine), ["1"]);
    let other = agent(&app, "idle").await;
    assert_eq!(
        expect(&app, Method::GET, &format!("/api/agents/{other}/tasks"), admin, None, 200).await,
        json!([])
    );
    expect(&app, Method::GET, "/api/agents/999999/tasks", admin, None, 404).await;
    let resp = app.call(Method::DELETE, &format!("/api/agents/{runner}"), admin).await;
    assert_eq!(resp.status(), 409, "an agent with running tasks stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn pausing_stops_hand_out_until_resumed() {
    let app = spawn_app().await;
    let admin = Some(app.admin.token.as_str());
    let (_, _, user) = app.user("dev").await;
    for path in ["/api/queue/pause", "/api/queue/resume"] {
        expect(&app, Method::POST, path, None, None, 401).await;
        expect(&app, Method::POST, path, Some(&user), None, 403).await;
    }
    expect(&app, Method::POST, "/api/queue/pause", admin, None, 204).await;
    assert_eq!(expect(&app, Method::GET, "/api/queue/info", admin, None, 200).await["paused"], true);

    app.engine.queue.push(vec![task("1", 1, 1)]).await.unwrap();
    let worker = Worker { agent_id: 1, labels: BTreeMap::from([("repo".to_owned(), "*".to_owned())]) };
    let paused = tokio::time::timeout(Duration::from_millis(500), app.engine.queue.poll(&worker)).await;
    assert!(paused.is_err(), "nothing is handed out while paused");

    expect(&app, Method::POST, "/api/queue/resume", admin, None, 204).await;
    assert_eq!(expect(&app, Method::GET, "/api/queue/info", admin, None, 200).await["paused"], false);
    assert_eq!(take(&app, 1).await.id, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_running_pipelines_answers_once_the_last_task_is_done() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let (_, _, user) = app.user("dev").await;
    expect(&app, Method::GET, "/api/queue/norunningpipelines", Some(&user), None, 403).await;
    expect(&app, Method::GET, "/api/queue/norunningpipelines", Some(&admin), None, 204).await;

    app.engine.queue.push(vec![task("1", 1, 1)]).await.unwrap();
    take(&app, 7).await;
    let url = app.url("/api/queue/norunningpipelines");
    let waiting = tokio::spawn(app.client.get(url).bearer_auth(admin).send());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!waiting.is_finished(), "a task still runs");
    app.engine.queue.done("1", Status::Success).await.unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap().unwrap();
    assert_eq!(resp.status(), 204);
}
