//! Black-box tests of the registries operations of the three scopes, on the 3.x plural paths and
//! the seed's singular repo paths: shapes (password always ""), addresses in paths, patch
//! semantics, validation statuses, permissions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::secrets::{expect, malformed, org_owner, repo_fixture, send};

fn local() -> Value {
    json!({"address": "localhost:5000", "username": "ci", "password": "hunter2"})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repo_registry_is_created_read_listed_and_deleted_without_showing_its_password() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let (base, token) = (format!("/api/repos/{}/registries", repo.id), Some(repo.writer.as_str()));
    assert_eq!(expect(&app, Method::GET, &base, token, None, 200).await, json!([]));

    let created = expect(&app, Method::POST, &base, token, Some(local()), 200).await;
    assert!(created["id"].as_i64().unwrap() > 0, "the stored registry, not an echo: {created}");
    assert_eq!(created["repo_id"], repo.id);
    assert_eq!(created["org_id"], 0);
    assert_eq!(created["address"], "localhost:5000");
    assert_eq!(created["username"], "ci");
    assert_eq!(created["password"], "");
    assert_eq!(created["readonly"], false);

    let one = format!("{base}/localhost:5000");
    assert_eq!(expect(&app, Method::GET, &one, token, None, 200).await, created);
    assert_eq!(
        expect(&app, Method::GET, &format!("{base}/localhost%3A5000"), token, None, 200).await,
        created
    );
    assert_eq!(expect(&app, Method::GET, &base, token, None, 200).await, json!([created]));
    let listed = send(&app, Method::GET, &base, token, None).await.text().await.unwrap();
    assert!(!listed.contains("hunter2"));

    expect(&app, Method::DELETE, &one, token, None, 204).await;
    expect(&app, Method::GET, &one, token, None, 404).await;
    expect(&app, Method::DELETE, &one, token, None, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seeds_singular_paths_serve_the_same_registries() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let token = Some(repo.writer.as_str());
    let (plural, singular) =
        (format!("/api/repos/{}/registries", repo.id), format!("/api/repos/{}/registry", repo.id));
    let created = expect(&app, Method::POST, &singular, token, Some(local()), 200).await;
    assert_eq!(expect(&app, Method::GET, &plural, token, None, 200).await, json!([created]));
    assert_eq!(expect(&app, Method::GET, &singular, token, None, 200).await, json!([created]));
    let one = format!("{singular}/localhost:5000");
    assert_eq!(expect(&app, Method::GET, &one, token, None, 200).await, created);
    let patched = expect(&app, Method::PATCH, &one, token, Some(json!({"username": "bot"})), 200).await;
    assert_eq!(patched["username"], "bot");
    expect(&app, Method::DELETE, &one, token, None, 204).await;
    assert_eq!(expect(&app, Method::GET, &plural, token, None, 200).await, json!([]));
    expect(&app, Method::GET, &singular, None, None, 401).await;
    expect(&app, Method::GET, &one, Some(&repo.reader), None, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_replaces_non_empty_fields_and_repo_registries_keep_their_address() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let token = Some(repo.writer.as_str());
    let base = format!("/api/repos/{}/registries", repo.id);
    expect(&app, Method::POST, &base, token, Some(local()), 200).await;
    let body = json!({"id": 77, "address": "elsewhere.io", "username": "", "password": "new"});
    let patched =
        expect(&app, Method::PATCH, &format!("{base}/localhost:5000"), token, Some(body), 200).await;
    assert_eq!(
        (&patched["address"], &patched["username"], &patched["password"]),
        (&json!("localhost:5000"), &json!("ci"), &json!(""))
    );
    assert_ne!(patched["id"], 77);
    expect(&app, Method::PATCH, &format!("{base}/elsewhere.io"), token, Some(json!({})), 404).await;

    let (org, dora) = org_owner(&app, "dora").await;
    let org_base = format!("/api/orgs/{org}/registries");
    expect(&app, Method::POST, &org_base, Some(&dora), Some(local()), 200).await;
    let moved = json!({"address": "mirror.example.com/team"});
    let patched =
        expect(&app, Method::PATCH, &format!("{org_base}/localhost:5000"), Some(&dora), Some(moved), 200)
            .await;
    assert_eq!(patched["address"], "mirror.example.com/team", "org registries can change address");
    expect(&app, Method::GET, &format!("{org_base}/mirror.example.com%2Fteam"), Some(&dora), None, 200).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_registries_are_refused_with_upstreams_status_per_scope() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let (org, dora) = org_owner(&app, "dora").await;
    let admin = Some(app.admin.token.as_str());
    let scopes = [
        (format!("/api/repos/{}/registries", repo.id), Some(repo.writer.as_str()), 400),
        (format!("/api/orgs/{org}/registries"), Some(dora.as_str()), 422),
        ("/api/registries".to_owned(), admin, 400),
    ];
    for (base, token, status) in &scopes {
        for broken in [
            json!({"address": "", "username": "u", "password": "p"}),
            json!({"address": "not a host", "username": "u", "password": "p"}),
            json!({"address": "docker.io", "password": "p"}),
            json!({"address": "docker.io", "username": "u"}),
        ] {
            expect(&app, Method::POST, base, *token, Some(broken), *status).await;
        }
        assert_eq!(malformed(&app, Method::POST, base, token.unwrap()).await, 400);
        expect(&app, Method::POST, base, *token, Some(local()), 200).await;
        expect(&app, Method::POST, base, *token, Some(local()), 409).await;
    }
    let renamed = Some(json!({"address": "not a host"}));
    let org_one = format!("{}/localhost:5000", scopes[1].0);
    expect(&app, Method::PATCH, &org_one, Some(&dora), renamed.clone(), 422).await;
    expect(&app, Method::PATCH, "/api/registries/localhost:5000", admin, renamed, 400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn registries_are_guarded_like_secrets() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let (org, dora) = org_owner(&app, "dora").await;
    let (_, eve) = org_owner(&app, "eve").await;
    let repo_base = format!("/api/repos/{}/registries", repo.id);
    for (token, status) in [(None, 401), (Some(&repo.stranger), 404), (Some(&repo.reader), 404)] {
        let token = token.map(String::as_str);
        expect(&app, Method::GET, &repo_base, token, None, status).await;
        expect(&app, Method::POST, &repo_base, token, Some(local()), status).await;
        expect(&app, Method::PATCH, &format!("{repo_base}/docker.io"), token, Some(json!({})), status).await;
        expect(&app, Method::DELETE, &format!("{repo_base}/docker.io"), token, None, status).await;
    }

    let org_base = format!("/api/orgs/{org}/registries");
    expect(&app, Method::POST, &org_base, Some(&app.admin.token), Some(local()), 200).await;
    expect(&app, Method::GET, &org_base, Some(&eve), None, 403).await;
    expect(&app, Method::GET, &format!("{org_base}/localhost:5000"), None, None, 401).await;
    expect(&app, Method::GET, &format!("{org_base}/localhost:5000"), Some(&dora), None, 200).await;
    expect(&app, Method::GET, "/api/orgs/999999/registries", None, None, 404).await;
    expect(&app, Method::GET, "/api/orgs/nope/registries", Some(&dora), None, 400).await;

    let created =
        expect(&app, Method::POST, "/api/registries", Some(&app.admin.token), Some(local()), 200).await;
    assert_eq!((created["org_id"].as_i64(), created["repo_id"].as_i64()), (Some(0), Some(0)));
    assert_eq!(expect(&app, Method::GET, "/api/registries", Some(&eve), None, 200).await, json!([created]));
    expect(&app, Method::GET, "/api/registries/localhost:5000", Some(&eve), None, 200).await;
    expect(&app, Method::GET, "/api/registries", None, None, 401).await;
    expect(&app, Method::POST, "/api/registries", Some(&eve), Some(local()), 403).await;
    expect(&app, Method::PATCH, "/api/registries/localhost:5000", Some(&eve), Some(json!({})), 403).await;
    expect(&app, Method::DELETE, "/api/registries/localhost:5000", Some(&eve), None, 403).await;
    expect(&app, Method::DELETE, "/api/registries/localhost:5000", Some(&app.admin.token), None, 204).await;
}
