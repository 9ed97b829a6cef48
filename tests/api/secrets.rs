//! Black-box tests of the secrets operations of the three scopes: shapes (never a value), patch
//! semantics, validation, permissions. Also the setup the registries tests share: JSON calls, an
//! activated repo with users of each access level, a user with its own org.

use nuthatch::domain::perm::Perm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Sends `method path` with an optional bearer token and an optional JSON body.
pub async fn send(
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

/// Sends and expects `status`; returns the body as JSON (`null` when empty).
pub async fn expect(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    status: u16,
) -> Value {
    let resp = send(app, method.clone(), path, token, body).await;
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Sends a truncated JSON body; returns the status.
pub async fn malformed(app: &TestApp, method: Method, path: &str, token: &str) -> u16 {
    let req = app.client.request(method, app.url(path)).bearer_auth(token);
    let req = req.header("content-type", "application/json").body("{\"name\":");
    req.send().await.unwrap().status().as_u16()
}

/// A private repo owned by the admin, and tokens of a stranger, a reader (pull) and a writer (push).
pub struct RepoFixture {
    /// Repo id.
    pub id: i64,
    /// No permission.
    pub stranger: String,
    /// Pull only.
    pub reader: String,
    /// Push.
    pub writer: String,
}

/// Activates a private repo and creates its users.
pub async fn repo_fixture(app: &TestApp) -> RepoFixture {
    let repo = app.local_forge().await.create_repo("admin", "app").await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    let id =
        expect(app, Method::POST, &path, Some(&app.admin.token), None, 200).await["id"].as_i64().unwrap();
    let stranger = app.user("stranger").await.2;
    let reader = user_with(app, "reader", Perm { repo_id: id, pull: true, ..Perm::default() }).await;
    let writer =
        user_with(app, "writer", Perm { repo_id: id, pull: true, push: true, ..Perm::default() }).await;
    RepoFixture { id, stranger, reader, writer }
}

/// A new user with `perm` on its repo; returns its token.
async fn user_with(app: &TestApp, login: &str, perm: Perm) -> String {
    let (user_id, _, token) = app.user(login).await;
    app.store.set_perm(&Perm { user_id, ..perm }).await.unwrap();
    token
}

/// A user with its own namespace org: `(org id, token)`.
pub async fn org_owner(app: &TestApp, login: &str) -> (i64, String) {
    let (_, _, token) = app.user(login).await;
    let me = expect(app, Method::GET, "/api/user", Some(&token), None, 200).await;
    (me["org_id"].as_i64().unwrap(), token)
}

fn deploy_key() -> Value {
    json!({"name": "deploy_key", "value": "s3cr3t", "events": ["tag", "push"], "images": ["alpine:latest"]})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repo_secret_is_created_read_listed_and_deleted_without_ever_showing_its_value() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let (base, token) = (format!("/api/repos/{}/secrets", repo.id), Some(repo.writer.as_str()));
    assert_eq!(expect(&app, Method::GET, &base, token, None, 200).await, json!([]));

    let created = expect(&app, Method::POST, &base, token, Some(deploy_key()), 200).await;
    assert!(created["id"].as_i64().unwrap() > 0);
    assert_eq!(created["repo_id"], repo.id);
    assert_eq!(created["org_id"], 0);
    assert_eq!(created["name"], "deploy_key");
    assert_eq!(created["events"], json!(["push", "tag"]), "events come back sorted");
    assert_eq!(created["images"], json!(["alpine:latest"]));
    assert_eq!(created["note"], "");
    assert!(created.get("value").is_none(), "{created}");

    let one = format!("{base}/deploy_key");
    assert_eq!(expect(&app, Method::GET, &one, token, None, 200).await, created);
    assert_eq!(expect(&app, Method::GET, &base, token, None, 200).await, json!([created]));
    let listed = send(&app, Method::GET, &base, token, None).await.text().await.unwrap();
    assert!(!listed.contains("s3cr3t"));

    assert_eq!(expect(&app, Method::DELETE, &one, token, None, 204).await, Value::Null);
    expect(&app, Method::GET, &one, token, None, 404).await;
    expect(&app, Method::DELETE, &one, token, None, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_changes_only_what_it_carries() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let token = Some(repo.writer.as_str());
    let base = format!("/api/repos/{}/secrets", repo.id);
    expect(&app, Method::POST, &base, token, Some(deploy_key()), 200).await;
    let one = format!("{base}/deploy_key");

    let patch = json!({"name": "renamed", "value": "", "images": [], "note": "rotated"});
    let patched = expect(&app, Method::PATCH, &one, token, Some(patch), 200).await;
    assert_eq!(patched["name"], "deploy_key", "secrets are never renamed");
    assert_eq!(patched["images"], json!([]), "[] clears the images");
    assert_eq!(patched["events"], json!(["push", "tag"]), "absent events stay");
    assert_eq!(patched["note"], "rotated");

    let patched =
        expect(&app, Method::PATCH, &one, token, Some(json!({"events": ["cron", "deploy"]})), 200).await;
    assert_eq!(
        patched["events"],
        json!(["deployment", "cron"]),
        "2.x `deploy` is accepted, order is upstream's"
    );
    assert_eq!(patched["note"], "rotated");
    expect(&app, Method::PATCH, &format!("{base}/missing"), token, Some(json!({})), 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_secrets_are_refused_with_upstreams_status() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let token = Some(repo.writer.as_str());
    let base = format!("/api/repos/{}/secrets", repo.id);
    let broken = [
        json!({"name": "x", "value": "v"}),
        json!({"name": "x", "value": "v", "events": ["pushh"]}),
        json!({"name": "x", "value": "v", "events": ["push"], "images": ["alpine:3.18"]}),
        json!({"name": "x", "value": "", "events": ["push"]}),
        json!({"name": " ", "value": "v", "events": ["push"]}),
    ];
    for body in broken {
        let resp = send(&app, Method::POST, &base, token, Some(body.clone())).await;
        assert_eq!(resp.status(), 422, "{body}");
    }
    assert_eq!(malformed(&app, Method::POST, &base, &repo.writer).await, 400);
    assert_eq!(malformed(&app, Method::PATCH, &format!("{base}/x"), &repo.writer).await, 400);

    expect(&app, Method::POST, &base, token, Some(deploy_key()), 200).await;
    expect(&app, Method::POST, &base, token, Some(deploy_key()), 409).await;
    let one = format!("{base}/deploy_key");
    expect(&app, Method::PATCH, &one, token, Some(json!({"events": []})), 422).await;
    expect(&app, Method::PATCH, &one, token, Some(json!({"images": ["has space"]})), 422).await;
    expect(&app, Method::PATCH, &one, token, Some(json!({"events": "push"})), 400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_secrets_need_push_access() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let base = format!("/api/repos/{}/secrets", repo.id);
    let one = format!("{base}/deploy_key");
    let levels = [(None, 401), (Some(&repo.stranger), 404), (Some(&repo.reader), 404)];
    for (token, status) in levels {
        let token = token.map(String::as_str);
        expect(&app, Method::GET, &base, token, None, status).await;
        expect(&app, Method::POST, &base, token, Some(deploy_key()), status).await;
        expect(&app, Method::GET, &one, token, None, status).await;
        expect(&app, Method::PATCH, &one, token, Some(json!({})), status).await;
        expect(&app, Method::DELETE, &one, token, None, status).await;
    }
    expect(&app, Method::GET, "/api/repos/999999/secrets", Some(&repo.writer), None, 404).await;
    expect(&app, Method::GET, "/api/repos/999999/secrets", None, None, 401).await;
    expect(&app, Method::GET, "/api/repos/x/secrets", Some(&repo.writer), None, 400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn org_secrets_belong_to_the_orgs_owner_and_server_admins() {
    let app = spawn_app().await;
    let (org, dora) = org_owner(&app, "dora").await;
    let (_, eve) = org_owner(&app, "eve").await;
    let base = format!("/api/orgs/{org}/secrets");

    let created = expect(&app, Method::POST, &base, Some(&dora), Some(deploy_key()), 200).await;
    assert_eq!((created["org_id"].as_i64(), created["repo_id"].as_i64()), (Some(org), Some(0)));
    let one = format!("{base}/deploy_key");
    let patched =
        expect(&app, Method::PATCH, &one, Some(&app.admin.token), Some(json!({"note": "n"})), 200).await;
    assert_eq!(patched["note"], "n");
    assert_eq!(expect(&app, Method::GET, &base, Some(&dora), None, 200).await, json!([patched]));
    expect(&app, Method::GET, &one, Some(&dora), None, 200).await;
    expect(&app, Method::PATCH, &one, Some(&dora), Some(json!({"events": []})), 422).await;

    expect(&app, Method::GET, &base, Some(&eve), None, 403).await;
    expect(&app, Method::GET, &one, None, None, 401).await;
    expect(&app, Method::DELETE, &one, Some(&eve), None, 403).await;
    expect(&app, Method::GET, "/api/orgs/999999/secrets", None, None, 404).await;
    expect(&app, Method::GET, "/api/orgs/nope/secrets", Some(&dora), None, 400).await;

    expect(&app, Method::DELETE, &one, Some(&dora), None, 204).await;
    assert_eq!(expect(&app, Method::GET, &base, Some(&dora), None, 200).await, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn global_secrets_are_readable_by_users_and_written_by_admins() {
    let app = spawn_app().await;
    let (_, dora) = org_owner(&app, "dora").await;
    let admin = Some(app.admin.token.as_str());
    let created = expect(&app, Method::POST, "/api/secrets", admin, Some(deploy_key()), 200).await;
    assert_eq!((created["org_id"].as_i64(), created["repo_id"].as_i64()), (Some(0), Some(0)));

    assert_eq!(expect(&app, Method::GET, "/api/secrets", Some(&dora), None, 200).await, json!([created]));
    expect(&app, Method::GET, "/api/secrets/deploy_key", Some(&dora), None, 200).await;
    expect(&app, Method::GET, "/api/secrets", None, None, 401).await;
    expect(&app, Method::POST, "/api/secrets", Some(&dora), Some(deploy_key()), 403).await;
    expect(&app, Method::PATCH, "/api/secrets/deploy_key", Some(&dora), Some(json!({})), 403).await;
    expect(&app, Method::DELETE, "/api/secrets/deploy_key", Some(&dora), None, 403).await;

    expect(&app, Method::POST, "/api/secrets", admin, Some(json!({"name": "x"})), 422).await;
    let emptied = Some(json!({"events": []}));
    expect(&app, Method::PATCH, "/api/secrets/deploy_key", admin, emptied, 400).await;
    expect(&app, Method::DELETE, "/api/secrets/deploy_key", admin, None, 204).await;
    expect(&app, Method::GET, "/api/secrets/deploy_key", admin, None, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_scope_lists_only_its_own_secrets_one_page_at_a_time() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let admin = Some(app.admin.token.as_str());
    expect(&app, Method::POST, "/api/secrets", admin, Some(deploy_key()), 200).await;
    let base = format!("/api/repos/{}/secrets", repo.id);
    for name in ["b", "a", "deploy_key"] {
        let body = json!({"name": name, "value": "v", "events": ["push"]});
        expect(&app, Method::POST, &base, admin, Some(body), 200).await;
    }
    let names = |list: Value| list.as_array().unwrap().iter().map(|s| s["name"].clone()).collect::<Vec<_>>();
    let all = expect(&app, Method::GET, &base, admin, None, 200).await;
    assert_eq!(names(all), ["a", "b", "deploy_key"]);
    let second = expect(&app, Method::GET, &format!("{base}?page=2&perPage=1"), admin, None, 200).await;
    assert_eq!(names(second), ["b"]);
    assert_eq!(names(expect(&app, Method::GET, "/api/secrets", admin, None, 200).await), ["deploy_key"]);
}
