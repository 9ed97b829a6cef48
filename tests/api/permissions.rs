//! The permission table: each access level against representative routes of each guard, with
//! upstream's status codes (401 anonymous, 403 not allowed, 404 to hide a private repo).

use nuthatch::domain::perm::Perm;
use reqwest::Method;

use crate::helpers::{TestApp, spawn_app};

/// Activates a private local repo owned by the admin; returns its id.
async fn private_repo(app: &TestApp) -> i64 {
    let repo = app.local_forge().await.create_repo("admin", "app").await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    let resp = app.call(Method::POST, &path, Some(&app.admin.token)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["visibility"], "private");
    body["id"].as_i64().unwrap()
}

/// A user with the given stored permission on the repo; returns a token.
async fn user_with(app: &TestApp, login: &str, repo_id: i64, perm: Option<(bool, bool, bool)>) -> String {
    let (user_id, _, token) = app.user(login).await;
    if let Some((pull, push, admin)) = perm {
        app.store.set_perm(&Perm { user_id, repo_id, pull, push, admin, ..Perm::default() }).await.unwrap();
    }
    token
}

#[tokio::test(flavor = "multi_thread")]
async fn every_level_gets_upstreams_status_on_every_guard() {
    let app = spawn_app().await;
    let repo = private_repo(&app).await;
    let levels: Vec<(&str, Option<String>)> = vec![
        ("anonymous", None),
        ("user", Some(user_with(&app, "stranger", repo, None).await)),
        ("pull", Some(user_with(&app, "reader", repo, Some((true, false, false))).await)),
        ("push", Some(user_with(&app, "writer", repo, Some((true, true, false))).await)),
        ("repo admin", Some(user_with(&app, "keeper", repo, Some((true, true, true))).await)),
        ("server admin", Some(app.admin.token.clone())),
    ];
    let repo_path = format!("/api/repos/{repo}");
    let table: Vec<(Method, String, [u16; 6])> = vec![
        (Method::GET, "/api/user".into(), [401, 200, 200, 200, 200, 200]),
        (Method::GET, "/api/users".into(), [401, 403, 403, 403, 403, 200]),
        (Method::GET, repo_path.clone(), [401, 404, 200, 200, 200, 200]),
        (Method::GET, format!("{repo_path}/permissions"), [200, 200, 200, 200, 200, 200]),
        (Method::GET, "/api/repos/999999".into(), [401, 404, 404, 404, 404, 404]),
        (Method::DELETE, repo_path.clone(), [401, 403, 403, 403, 200, 200]),
    ];
    for (method, path, expected) in table {
        for ((level, token), want) in levels.iter().zip(expected) {
            let got = app.call(method.clone(), &path, token.as_deref()).await.status().as_u16();
            assert_eq!(got, want, "{level} {method} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_show_what_the_caller_may_do() {
    let app = spawn_app().await;
    let repo = private_repo(&app).await;
    let path = format!("/api/repos/{repo}/permissions");
    let anonymous: serde_json::Value = app.call(Method::GET, &path, None).await.json().await.unwrap();
    assert_eq!((anonymous["pull"].as_bool(), anonymous["push"].as_bool()), (Some(false), Some(false)));
    let owner: serde_json::Value =
        app.call(Method::GET, &path, Some(&app.admin.token)).await.json().await.unwrap();
    assert_eq!(
        (owner["pull"].as_bool(), owner["push"].as_bool(), owner["admin"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn activation_checks_its_input() {
    let app = spawn_app().await;
    let token = Some(app.admin.token.as_str());
    assert_eq!(app.call(Method::POST, "/api/repos", token).await.status(), 400);
    assert_eq!(app.call(Method::POST, "/api/repos?forge_remote_id=unknown", token).await.status(), 404);
    assert_eq!(app.call(Method::POST, "/api/repos?forge_remote_id=x", None).await.status(), 401);
    let repo = app.local_forge().await.create_repo("admin", "twice").await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    assert_eq!(app.call(Method::POST, &path, token).await.status(), 200);
    assert_eq!(app.call(Method::POST, &path, token).await.status(), 409);
    assert_eq!(app.call(Method::GET, "/api/repos/not-a-number", token).await.status(), 400);
}
