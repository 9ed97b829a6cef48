//! Black-box tests of the step log operations: lines with base64 data, the paged and tail
//! forms, the download, and deleting logs only once the step or pipeline has finished.

use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::log::{LogEntry, LogEntryType};
use nuthatch::domain::status::Status;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::pipelines::{pipeline, store_run};
use crate::secrets::{expect, repo_fixture};

/// `n` lines `line <i>` of a step, stored through the engine's log storage.
pub async fn store_lines(app: &TestApp, step_id: i64, n: i32) {
    let entries: Vec<LogEntry> = (0..n)
        .map(|line| LogEntry {
            step_id,
            line,
            time: i64::from(line),
            data: format!("line {line}").into_bytes(),
            entry_type: if line == 1 { LogEntryType::Stderr } else { LogEntryType::Stdout },
            ..LogEntry::default()
        })
        .collect();
    app.engine.logs.append(&entries).await.unwrap();
}

/// The decoded `data` of each entry.
fn texts(list: &Value) -> Vec<String> {
    use base64::Engine as _;
    let decode = |d: &Value| base64::engine::general_purpose::STANDARD.decode(d.as_str().unwrap()).unwrap();
    list.as_array().unwrap().iter().map(|e| String::from_utf8(decode(&e["data"])).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steps_lines_come_whole_paged_or_as_a_tail() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Success, 1),
        &[Status::Success],
    )
    .await;
    let step = run.steps[0].id;
    store_lines(&app, step, 5).await;
    let base = format!("/api/repos/{}/logs/1/{step}", repo.id);
    let reader = Some(repo.reader.as_str());

    let all = expect(&app, Method::GET, &base, reader, None, 200).await;
    assert_eq!(texts(&all), ["line 0", "line 1", "line 2", "line 3", "line 4"]);
    assert_eq!(all[1]["data"], "bGluZSAx", "data is base64");
    assert_eq!((all[1]["step_id"].as_i64(), all[1]["line"].as_i64()), (Some(step), Some(1)));
    assert_eq!((all[1]["type"].as_i64(), all[1]["time"].as_i64()), (Some(1), Some(1)));
    assert!(all[1]["id"].as_i64().is_some());

    let page = |q: &str| format!("{base}?{q}");
    let cases = [
        ("offset=3", vec!["line 3", "line 4"]),
        ("offset=1&limit=2", vec!["line 1", "line 2"]),
        ("limit=1", vec!["line 0"]),
        ("tail=2", vec!["line 3", "line 4"]),
        ("tail=9", vec!["line 0", "line 1", "line 2", "line 3", "line 4"]),
        ("tail=3&limit=1", vec!["line 2"]),
        ("offset=9", vec![]),
    ];
    for (q, want) in cases {
        assert_eq!(texts(&expect(&app, Method::GET, &page(q), reader, None, 200).await), want, "{q}");
    }
    expect(&app, Method::GET, &page("offset=-1"), reader, None, 400).await;

    app.engine.logs.delete(step).await.unwrap();
    assert_eq!(expect(&app, Method::GET, &base, reader, None, 200).await, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn log_reads_check_the_repo_the_pipeline_and_the_step() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Success, 1),
        &[Status::Success],
    )
    .await;
    let other = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Success, 2),
        &[Status::Success],
    )
    .await;
    let step = run.steps[0].id;
    let base = format!("/api/repos/{}/logs", repo.id);
    let path = format!("{base}/1/{step}");
    for suffix in ["", "/download"] {
        let path = format!("{path}{suffix}");
        expect(&app, Method::GET, &path, None, None, 401).await;
        expect(&app, Method::GET, &path, Some(&repo.stranger), None, 404).await;
        expect(&app, Method::GET, &path, Some(&repo.reader), None, 200).await;
    }
    let reader = Some(repo.reader.as_str());
    expect(&app, Method::GET, &format!("{base}/9/{step}"), reader, None, 404).await;
    expect(&app, Method::GET, &format!("{base}/1/{}", other.steps[0].id), reader, None, 404).await;
    expect(&app, Method::GET, &format!("{base}/1/999999"), reader, None, 404).await;
    expect(&app, Method::GET, &format!("{base}/x/{step}"), reader, None, 400).await;
    expect(&app, Method::GET, &format!("{base}/1/x"), reader, None, 400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_is_the_raw_text_as_an_attachment() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Success, 1),
        &[Status::Success],
    )
    .await;
    let step = run.steps[0].id;
    store_lines(&app, step, 3).await;
    let path = format!("/api/repos/{}/logs/1/{step}/download", repo.id);
    let resp = app.call(Method::GET, &path, Some(&repo.reader)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(resp.headers()["content-disposition"], "attachment; filename=\"admin-app-1-step-0.log\"");
    assert_eq!(resp.text().await.unwrap(), "line 0\nline 1\nline 2");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_are_deleted_only_when_finished_and_by_writers() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let steps = [Status::Success, Status::Running];
    let run =
        store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Running, 1), &steps).await;
    let (done, running) = (run.steps[0].id, run.steps[1].id);
    store_lines(&app, done, 2).await;
    store_lines(&app, running, 2).await;
    let base = format!("/api/repos/{}/logs/1", repo.id);
    let writer = Some(repo.writer.as_str());

    let step_path = format!("{base}/{done}");
    expect(&app, Method::DELETE, &step_path, None, None, 401).await;
    expect(&app, Method::DELETE, &step_path, Some(&repo.reader), None, 404).await;
    let resp = app.call(Method::DELETE, &format!("{base}/{running}"), writer).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.text().await.unwrap(), "Cannot delete logs for a pending or running step");
    let resp = app.call(Method::DELETE, &base, writer).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.text().await.unwrap(), "Cannot delete logs for a pending or running pipeline");

    expect(&app, Method::DELETE, &step_path, writer, None, 204).await;
    assert_eq!(expect(&app, Method::GET, &step_path, writer, None, 200).await, json!([]));
    assert_eq!(
        texts(&expect(&app, Method::GET, &format!("{base}/{running}"), writer, None, 200).await).len(),
        2
    );
    expect(&app, Method::DELETE, &format!("{base}/999999"), writer, None, 404).await;

    let finished =
        store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Failure, 2), &steps).await;
    for step in &finished.steps {
        store_lines(&app, step.id, 3).await;
    }
    let whole = format!("/api/repos/{}/logs/2", repo.id);
    expect(&app, Method::DELETE, &whole, Some(&repo.reader), None, 404).await;
    expect(&app, Method::DELETE, &whole, writer, None, 204).await;
    for step in &finished.steps {
        let lines = expect(&app, Method::GET, &format!("{whole}/{}", step.id), writer, None, 200).await;
        assert_eq!(lines, json!([]));
    }
    expect(&app, Method::DELETE, &format!("/api/repos/{}/logs/9", repo.id), writer, None, 404).await;
}
