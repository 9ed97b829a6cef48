//! Black-box tests of the crons operations: a repo's schedules, for callers with push access.

use nuthatch::domain::perm::Perm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::spawn_app;

/// Sends `method path` with a bearer token and a JSON body (`None`: no body).
pub(crate) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("request is answered")
}

/// Activates a private local repo `admin/<name>` as the admin; returns its id.
pub(crate) async fn active_repo(app: &TestApp, name: &str) -> i64 {
    let repo = app.local_forge().await.create_repo("admin", name).await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    let resp = app.call(Method::POST, &path, Some(&app.admin.token)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// A repo and a token of a user who may push to it.
async fn repo_with_pusher(app: &TestApp) -> (i64, String) {
    let repo = active_repo(app, "app").await;
    let (user_id, _, token) = app.user("pusher").await;
    let perm = Perm { user_id, repo_id: repo, pull: true, push: true, ..Perm::default() };
    app.store.set_perm(&perm).await.unwrap();
    (repo, token)
}

fn nightly() -> Value {
    json!({"name": "nightly", "schedule": "0 3 * * *", "enabled": true, "variables": {"MODE": "full"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pusher_creates_reads_lists_and_deletes_a_cron() {
    let app = spawn_app().await;
    let (repo, token) = repo_with_pusher(&app).await;
    let crons = format!("/api/repos/{repo}/cron");
    let empty: Value = send(&app, Method::GET, &crons, Some(&token), None).await.json().await.unwrap();
    assert_eq!(empty, json!([]));

    let resp = send(&app, Method::POST, &crons, Some(&token), Some(nightly())).await;
    assert_eq!(resp.status(), 200);
    let cron: Value = resp.json().await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert_eq!((cron["name"].as_str(), cron["repo_id"].as_i64()), (Some("nightly"), Some(repo)));
    assert_eq!((cron["timezone"].as_str(), cron["branch"].as_str()), (Some("UTC"), Some("")));
    assert_eq!(cron["variables"], json!({"MODE": "full"}));
    assert_eq!(cron["created"], cron["created_at"]);
    let next = cron["next_exec"].as_i64().unwrap();
    assert!(next > now && next <= now + 86_400 && next % 86_400 == 3 * 3600, "next run {next}");

    let one = format!("{crons}/{}", cron["id"]);
    let got: Value = send(&app, Method::GET, &one, Some(&token), None).await.json().await.unwrap();
    assert_eq!(got, cron);
    let list: Value = send(&app, Method::GET, &crons, Some(&token), None).await.json().await.unwrap();
    assert_eq!(list, json!([cron]));

    assert_eq!(send(&app, Method::DELETE, &one, Some(&token), None).await.status(), 204);
    assert_eq!(send(&app, Method::GET, &one, Some(&token), None).await.status(), 404);
    assert_eq!(send(&app, Method::DELETE, &one, Some(&token), None).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cron_created_without_enabled_is_disabled_and_names_are_unique() {
    let app = spawn_app().await;
    let (repo, token) = repo_with_pusher(&app).await;
    let crons = format!("/api/repos/{repo}/cron");
    let body = json!({"name": "weekly", "schedule": "@weekly"});
    let cron: Value =
        send(&app, Method::POST, &crons, Some(&token), Some(body.clone())).await.json().await.unwrap();
    assert_eq!(cron["enabled"], false);
    assert_eq!(send(&app, Method::POST, &crons, Some(&token), Some(body)).await.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_crons_are_refused_with_upstreams_codes() {
    let app = spawn_app().await;
    let (repo, token) = repo_with_pusher(&app).await;
    let crons = format!("/api/repos/{repo}/cron");
    let cases = [
        (json!({"name": "", "schedule": "@daily"}), 422),
        (json!({"name": "x", "schedule": ""}), 422),
        (json!({"name": "x", "schedule": "@daily", "timezone": "Mars/Olympus"}), 422),
        (json!({"name": "x", "schedule": "3min"}), 400),
        (json!({"name": "x", "schedule": "0 0 3 * * *"}), 400),
        (json!({"name": "x", "schedule": "@daily", "branch": "no-such-branch"}), 400),
        (json!(["not", "an", "object"]), 400),
    ];
    for (body, status) in cases {
        let resp = send(&app, Method::POST, &crons, Some(&token), Some(body.clone())).await;
        assert_eq!(resp.status(), status, "{body}");
    }
    let malformed = app
        .client
        .post(app.url(&crons))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{");
    assert_eq!(malformed.send().await.unwrap().status(), 400);
    assert_eq!(send(&app, Method::GET, &format!("{crons}/abc"), Some(&token), None).await.status(), 400);
    assert_eq!(send(&app, Method::GET, &format!("{crons}/999"), Some(&token), None).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn patches_change_given_fields_and_reschedule() {
    let app = spawn_app().await;
    let (repo, token) = repo_with_pusher(&app).await;
    let crons = format!("/api/repos/{repo}/cron");
    let body = json!({"name": "tz", "schedule": "0 0 * * *", "timezone": "UTC"});
    let cron: Value = send(&app, Method::POST, &crons, Some(&token), Some(body)).await.json().await.unwrap();
    let one = format!("{crons}/{}", cron["id"]);

    let patch = json!({"name": "", "timezone": "Asia/Tokyo", "enabled": true});
    let resp = send(&app, Method::PATCH, &one, Some(&token), Some(patch)).await;
    assert_eq!(resp.status(), 200);
    let patched: Value = resp.json().await.unwrap();
    assert_eq!((patched["name"].as_str(), patched["enabled"].as_bool()), (Some("tz"), Some(true)));
    // Midnight in Tokyo is 15:00 UTC.
    assert_eq!(patched["next_exec"].as_i64().unwrap() % 86_400, 15 * 3600);

    let bad = send(&app, Method::PATCH, &one, Some(&token), Some(json!({"schedule": "every day"}))).await;
    assert_eq!(bad.status(), 400);
    let missing = send(&app, Method::PATCH, &format!("{crons}/999"), Some(&token), Some(json!({}))).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn crons_need_push_access() {
    let app = spawn_app().await;
    let repo = active_repo(&app, "app").await;
    let (reader_id, _, reader) = app.user("reader").await;
    let perm = Perm { user_id: reader_id, repo_id: repo, pull: true, ..Perm::default() };
    app.store.set_perm(&perm).await.unwrap();
    let crons = format!("/api/repos/{repo}/cron");
    for (token, status) in [(None, 401), (Some(reader.as_str()), 404), (Some(app.admin.token.as_str()), 200)]
    {
        assert_eq!(send(&app, Method::GET, &crons, token, None).await.status(), status);
    }
    let resp =
        send(&app, Method::POST, &crons, Some(&reader), Some(json!({"name": "x", "schedule": "@daily"})))
            .await;
    assert_eq!(resp.status(), 404);
}
