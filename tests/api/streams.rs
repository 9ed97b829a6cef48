//! Black-box tests of the two server-sent event streams: pipeline events only for repos the
//! caller may see, and a running step's live log with replay, `Last-Event-ID` resume, `eof` and
//! in-band errors.

use std::time::Duration;

use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::log::LogEntry;
use nuthatch::domain::status::Status;
use nuthatch::ports::pubsub::Event;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::pipelines::{pipeline, store_run};
use crate::secrets::repo_fixture;

/// An open event stream, read frame by frame.
struct Sse {
    resp: reqwest::Response,
    buffer: String,
}

impl Sse {
    /// Connects to `path` with a request built by `auth`; asserts the stream's headers.
    async fn open(
        app: &TestApp,
        path: &str,
        auth: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Sse {
        let resp = auth(app.client.get(app.url(path))).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers();
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["x-accel-buffering"], "no");
        Sse { resp, buffer: String::new() }
    }

    /// The next frame (without its blank line), or `None` when the stream ended.
    async fn frame(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame = self.buffer[..end].to_owned();
                self.buffer.drain(..end + 2);
                return Some(frame);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.resp.chunk()).await;
            match chunk.expect("a frame within 5 s").unwrap() {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }
}

/// An event of a repo whose body names `marker`.
fn event(repo_id: i64, public: bool, marker: &str) -> Event {
    Event { repo_id, public, data: format!("{{\"marker\":\"{marker}\"}}").into_bytes() }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_reach_only_callers_who_may_see_the_repo() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let reader = repo.reader.clone();
    let mut anonymous = Sse::open(&app, "/api/stream/events", |r| r).await;
    let mut by_token = Sse::open(&app, "/api/stream/events", |r| r.bearer_auth(&reader)).await;
    let mut by_query =
        Sse::open(&app, &format!("/api/stream/events?access_token={}", repo.stranger), |r| r).await;
    for sse in [&mut anonymous, &mut by_token, &mut by_query] {
        assert_eq!(sse.frame().await.as_deref(), Some(": ping"));
    }

    let pubsub = &app.engine.pubsub;
    pubsub.publish(event(repo.id, false, "private")).await.unwrap();
    pubsub.publish(event(999, true, "public")).await.unwrap();
    // Published in this order: a viewer who gets "public" first was not sent "private".
    assert_eq!(anonymous.frame().await.as_deref(), Some("data: {\"marker\":\"public\"}"));
    assert_eq!(by_query.frame().await.as_deref(), Some("data: {\"marker\":\"public\"}"), "a stranger");
    assert_eq!(by_token.frame().await.as_deref(), Some("data: {\"marker\":\"private\"}"), "a reader");
    assert_eq!(by_token.frame().await.as_deref(), Some("data: {\"marker\":\"public\"}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_session_cookie_opens_the_event_stream() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let session = app.login("reader", "pw-123456").await;
    let cookie = format!("user_sess={}", session.cookie);
    let mut sse = Sse::open(&app, "/api/stream/events", |r| r.header("cookie", cookie)).await;
    assert_eq!(sse.frame().await.as_deref(), Some(": ping"));
    app.engine.pubsub.publish(event(repo.id, false, "private")).await.unwrap();
    assert_eq!(sse.frame().await.as_deref(), Some("data: {\"marker\":\"private\"}"));
}

/// Lines `from..to` of a step.
fn lines(step_id: i64, from: i32, to: i32) -> Vec<LogEntry> {
    (from..to)
        .map(|line| LogEntry {
            step_id,
            line,
            data: format!("out {line}").into_bytes(),
            ..LogEntry::default()
        })
        .collect()
}

/// The id and the decoded line of a log message frame.
fn log_line(frame: &str) -> (u64, String) {
    use base64::Engine as _;
    let (id, data) = frame.split_once('\n').unwrap();
    let id = id.strip_prefix("id: ").unwrap().parse().unwrap();
    let entry: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(entry["data"].as_str().unwrap()).unwrap();
    (id, String::from_utf8(bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_steps_log_replays_follows_resumes_and_ends() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Running, 1),
        &[Status::Running],
    )
    .await;
    let step = run.steps[0].id;
    app.engine.livelog.append(step, &lines(step, 0, 2)).await.unwrap();
    let path = format!("/api/stream/logs/{}/1/{step}", repo.id);
    let reader = repo.reader.clone();

    let mut sse = Sse::open(&app, &path, |r| r.bearer_auth(&reader)).await;
    assert_eq!(sse.frame().await.as_deref(), Some(": ping"));
    assert_eq!(log_line(&sse.frame().await.unwrap()), (1, "out 0".to_owned()));
    assert_eq!(log_line(&sse.frame().await.unwrap()), (2, "out 1".to_owned()));
    app.engine.livelog.append(step, &lines(step, 2, 3)).await.unwrap();
    assert_eq!(log_line(&sse.frame().await.unwrap()), (3, "out 2".to_owned()), "live line");

    let mut resumed = Sse::open(&app, &path, |r| r.bearer_auth(&reader).header("last-event-id", "2")).await;
    assert_eq!(resumed.frame().await.as_deref(), Some(": ping"));
    assert_eq!(log_line(&resumed.frame().await.unwrap()), (3, "out 2".to_owned()), "after Last-Event-ID");

    app.engine.livelog.close(step).await.unwrap();
    for sse in [&mut sse, &mut resumed] {
        assert_eq!(sse.frame().await.as_deref(), Some("event: eof\ndata: eof"));
        assert_eq!(sse.frame().await, None, "the stream ends");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn log_stream_problems_are_in_band_errors_after_the_repo_check() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Success, 1),
        &[Status::Success],
    )
    .await;
    let done = run.steps[0].id;
    let other = store_run(
        &app,
        repo.id,
        pipeline(WebhookEvent::Push, "main", Status::Running, 2),
        &[Status::Running],
    )
    .await;
    let reader = repo.reader.clone();
    let cases = [
        (format!("x/{done}"), "pipeline number invalid"),
        (format!("9/{done}"), "pipeline not found"),
        ("1/x".to_owned(), "step id invalid"),
        ("1/999999".to_owned(), "process not found"),
        (format!("1/{}", other.steps[0].id), "process not found"),
        (format!("1/{done}"), "step not running (anymore)"),
    ];
    for (tail, text) in cases {
        let path = format!("/api/stream/logs/{}/{tail}", repo.id);
        let mut sse = Sse::open(&app, &path, |r| r.bearer_auth(&reader)).await;
        assert_eq!(sse.frame().await.as_deref(), Some(": ping"));
        assert_eq!(sse.frame().await, Some(format!("event: error\ndata: {text}")), "{tail}");
        assert_eq!(sse.frame().await, None);
    }

    let path = format!("/api/stream/logs/{}/2/{}", repo.id, other.steps[0].id);
    assert_eq!(app.call(reqwest::Method::GET, &path, None).await.status(), 401);
    assert_eq!(app.call(reqwest::Method::GET, &path, Some(&repo.stranger)).await.status(), 404);
    let bad_repo = format!("/api/stream/logs/x/2/{}", other.steps[0].id);
    assert_eq!(app.call(reqwest::Method::GET, &bad_repo, Some(&reader)).await.status(), 400);
}
