//! Black-box tests of user administration (`/api/users`) and of the caller's repos and feed
//! (`/api/user/repos`, `/api/user/feed`, `/api/user/repos/refresh`).

use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::status::Status;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::repos::activate;

/// Sends `method path` with a bearer token and a JSON body; returns the status and the body
/// (JSON, or the text as a JSON string, or null when empty).
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("request is answered");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Sends `method path` without a body; returns the status and the body as [`send`] does.
pub async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> (u16, Value) {
    let resp = app.call(method, path, token).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_creates_reads_changes_and_deletes_a_user() {
    let app = spawn_app().await;
    let admin = Some(app.admin.token.as_str());
    let new = json!({"login": "newbie", "email": "n@example.com", "avatar_url": "https://a/n.png"});
    let (status, created) = send(&app, Method::POST, "/api/users", admin, new).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!((created["login"].as_str(), created["forge_remote_id"].as_str()), (Some("newbie"), Some("0")));
    assert!(created["org_id"].as_i64().unwrap() > 0, "a namespace org is created");
    assert!(created.get("admin").is_none(), "admin is omitted when false");

    let (status, by_login) = call(&app, Method::GET, "/api/users/newbie", admin).await;
    assert_eq!((status, &by_login["id"]), (200, &created["id"]));
    let (status, by_remote) = call(&app, Method::GET, "/api/users/ignored?forge_remote_id=0", admin).await;
    assert_eq!((status, &by_remote["id"]), (200, &created["id"]));

    let patch = json!({"email": "new@example.com", "admin": true});
    let (status, patched) = send(&app, Method::PATCH, "/api/users/newbie", admin, patch).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (patched["email"].as_str(), patched["admin"].as_bool()),
        (Some("new@example.com"), Some(true))
    );
    assert_eq!(patched["avatar_url"], "https://a/n.png", "absent fields stay");

    assert_eq!(call(&app, Method::DELETE, "/api/users/newbie", admin).await, (204, Value::Null));
    assert_eq!(call(&app, Method::GET, "/api/users/newbie", admin).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_server_admins_administer_users() {
    let app = spawn_app().await;
    let (_, _, user) = app.user("dev").await;
    for token in [None, Some(user.as_str())] {
        let want = if token.is_none() { 401 } else { 403 };
        let body = json!({"login": "x"});
        assert_eq!(send(&app, Method::POST, "/api/users", token, body.clone()).await.0, want);
        assert_eq!(call(&app, Method::GET, "/api/users/admin", token).await.0, want);
        assert_eq!(send(&app, Method::PATCH, "/api/users/admin", token, body).await.0, want);
        assert_eq!(call(&app, Method::DELETE, "/api/users/admin", token).await.0, want);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_user_input_is_a_clear_4xx() {
    let app = spawn_app().await;
    let admin = Some(app.admin.token.as_str());
    let malformed = app
        .client
        .post(app.url("/api/users"))
        .bearer_auth(&app.admin.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(send(&app, Method::POST, "/api/users", admin, json!({"login": "has space"})).await.0, 400);
    assert_eq!(send(&app, Method::POST, "/api/users", admin, json!({"email": "no@login"})).await.0, 400);
    assert_eq!(send(&app, Method::POST, "/api/users", admin, json!({"login": "admin"})).await.0, 409);
    assert_eq!(call(&app, Method::GET, "/api/users/nobody", admin).await.0, 404);
    assert_eq!(call(&app, Method::GET, "/api/users/admin?forge_id=abc", admin).await.0, 400);
    assert_eq!(send(&app, Method::PATCH, "/api/users/nobody", admin, json!({})).await.0, 404);
    assert_eq!(call(&app, Method::DELETE, "/api/users/nobody", admin).await.0, 404);
    app.user("dev").await;
    let rename = json!({"login": "admin"});
    assert_eq!(send(&app, Method::PATCH, "/api/users/dev", admin, rename).await.0, 409);
    let bad = json!({"login": "bad/login"});
    assert_eq!(send(&app, Method::PATCH, "/api/users/dev", admin, bad).await.0, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_user_deletes_their_namespace_and_its_repos() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let repo = activate(&app, &dev, "dev", "app").await;
    let admin = Some(app.admin.token.as_str());
    assert_eq!(call(&app, Method::DELETE, "/api/users/dev", admin).await.0, 204);
    assert_eq!(call(&app, Method::GET, &format!("/api/repos/{repo}"), admin).await.0, 404);
}

/// Stores a pipeline of the repo (the API to create pipelines belongs to another group).
async fn pipeline(app: &TestApp, repo_id: i64, created: i64) -> Pipeline {
    let draft =
        Pipeline { repo_id, created, status: Status::Success, branch: "main".into(), ..Pipeline::default() };
    app.store.create_pipeline(&draft).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_callers_repos_carry_their_last_pipeline() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let token = Some(dev.as_str());
    assert_eq!(call(&app, Method::GET, "/api/user/repos", token).await, (200, json!([])));
    let app_repo = activate(&app, &dev, "dev", "app").await;
    activate(&app, &dev, "dev", "lib").await;
    pipeline(&app, app_repo, 100).await;
    pipeline(&app, app_repo, 200).await;

    let (status, repos) = call(&app, Method::GET, "/api/user/repos", token).await;
    assert_eq!(status, 200);
    assert_eq!(repos[0]["full_name"], "dev/app");
    assert_eq!(repos[0]["last_pipeline"]["number"], 2);
    assert!(repos[1].get("last_pipeline").is_none(), "a repo without pipelines has none");
    let (_, named) = call(&app, Method::GET, "/api/user/repos?name=lib", token).await;
    assert_eq!(named.as_array().unwrap().len(), 1);

    app.local_forge().await.create_repo("dev", "new").await.unwrap();
    let (status, all) = call(&app, Method::GET, "/api/user/repos?all=true", token).await;
    assert_eq!(status, 200);
    let names: Vec<_> = all.as_array().unwrap().iter().map(|r| r["full_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev/app", "dev/lib", "dev/new"], "not yet activated forge repos are offered");

    assert_eq!(call(&app, Method::POST, "/api/user/repos/refresh", token).await, (200, json!("Ok")));
    assert_eq!(call(&app, Method::GET, "/api/user/repos", None).await.0, 401);
    assert_eq!(call(&app, Method::POST, "/api/user/repos/refresh", None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_feed_lists_recent_pipelines_newest_first() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let token = Some(dev.as_str());
    assert_eq!(call(&app, Method::GET, "/api/user/feed", token).await, (200, json!([])));
    let a = activate(&app, &dev, "dev", "a").await;
    let b = activate(&app, &dev, "dev", "b").await;
    pipeline(&app, a, 100).await;
    pipeline(&app, b, 300).await;
    pipeline(&app, a, 200).await;

    let (status, feed) = call(&app, Method::GET, "/api/user/feed", token).await;
    assert_eq!(status, 200);
    let rows: Vec<_> =
        feed.as_array().unwrap().iter().map(|r| (r["full_name"].clone(), r["created"].clone())).collect();
    assert_eq!(
        rows,
        [(json!("dev/b"), json!(300)), (json!("dev/a"), json!(200)), (json!("dev/a"), json!(100))]
    );
    assert_eq!(feed[0]["repo_id"], b);
    assert_eq!(feed[0]["created_at"], 300, "2.x name");

    let (_, latest) = call(&app, Method::GET, "/api/user/feed?latest=true", token).await;
    let numbers: Vec<_> = latest.as_array().unwrap().iter().map(|r| r["number"].clone()).collect();
    assert_eq!(numbers, [json!(2), json!(1)], "one row per repo, by full name");
    assert_eq!(call(&app, Method::GET, "/api/user/feed", None).await.0, 401);
}
