//! Black-box tests of the orgs operations: the admin list, lookup by name, reading an org,
//! the caller's permissions in it, and deleting it with its repos.

use nuthatch::domain::org::Org;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::repos::activate;
use crate::users::call;

/// Stores an org (not a user's namespace) on the server's forge; returns its id.
async fn org(app: &TestApp, name: &str) -> i64 {
    let admin = app.store.get_user(1).await.unwrap();
    let org = Org { forge_id: admin.forge_id, name: name.into(), ..Org::default() };
    app.store.create_org(&org).await.unwrap().id
}

#[tokio::test(flavor = "multi_thread")]
async fn server_admins_list_orgs_without_user_namespaces() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let acme = org(&app, "acme").await;
    let (status, orgs) = call(&app, Method::GET, "/api/orgs", Some(&app.admin.token)).await;
    assert_eq!(status, 200);
    assert_eq!(
        orgs,
        json!([{"id": acme, "forge_id": orgs[0]["forge_id"], "name": "acme", "is_user": false}])
    );
    assert_eq!(call(&app, Method::GET, "/api/orgs?page=2", Some(&app.admin.token)).await, (200, json!([])));
    assert_eq!(call(&app, Method::GET, "/api/orgs", None).await.0, 401);
    assert_eq!(call(&app, Method::GET, "/api/orgs", Some(&dev)).await.0, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn lookup_finds_an_org_by_name_ignoring_case() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let acme = org(&app, "Acme").await;
    let (status, found) = call(&app, Method::GET, "/api/orgs/lookup/acme", Some(&dev)).await;
    assert_eq!((status, found["id"].as_i64()), (200, Some(acme)));
    let (status, own) = call(&app, Method::GET, "/api/orgs/lookup/DEV", Some(&dev)).await;
    assert_eq!((status, own["is_user"].as_bool()), (200, Some(true)));
    assert_eq!(call(&app, Method::GET, "/api/orgs/lookup/nobody", Some(&dev)).await.0, 404);
    assert_eq!(call(&app, Method::GET, "/api/orgs/lookup/acme", None).await.0, 401, "upstream panics: 500");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_read_an_org() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let acme = org(&app, "acme").await;
    let (status, got) = call(&app, Method::GET, &format!("/api/orgs/{acme}"), Some(&dev)).await;
    assert_eq!((status, got["name"].as_str()), (200, Some("acme")));
    assert_eq!(call(&app, Method::GET, &format!("/api/orgs/{acme}"), None).await.0, 401);
    assert_eq!(
        call(&app, Method::GET, "/api/orgs/999999", None).await,
        (404, json!("Organization not found"))
    );
    assert_eq!(call(&app, Method::GET, "/api/orgs/abc", Some(&dev)).await.0, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_follow_upstreams_rules() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let acme = org(&app, "acme").await;
    let (_, me) = call(&app, Method::GET, "/api/user", Some(&dev)).await;
    let (_, admin_user) = call(&app, Method::GET, "/api/user", Some(&app.admin.token)).await;
    let own = me["org_id"].as_i64().unwrap();
    let admins = admin_user["org_id"].as_i64().unwrap();
    let perm = |member: bool, admin: bool| json!({"member": member, "admin": admin});
    let cases = [
        (acme, None, perm(false, false)),
        (acme, Some(app.admin.token.as_str()), perm(true, true)),
        (own, Some(dev.as_str()), perm(true, true)),
        (admins, Some(dev.as_str()), perm(false, false)),
        (acme, Some(dev.as_str()), perm(true, false)),
    ];
    for (org_id, token, want) in cases {
        let got = call(&app, Method::GET, &format!("/api/orgs/{org_id}/permissions"), token).await;
        assert_eq!(got, (200, want), "org {org_id} token {token:?}");
    }
    assert_eq!(call(&app, Method::GET, "/api/orgs/999999/permissions", None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_org_deletes_its_repos() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let admin = app.admin.token.clone();
    let acme = org(&app, "acme").await;
    let repo = activate(&app, &admin, "acme", "app").await;
    let path = format!("/api/orgs/{acme}");
    assert_eq!(call(&app, Method::DELETE, &path, None).await.0, 401);
    assert_eq!(call(&app, Method::DELETE, &path, Some(&dev)).await.0, 403);
    assert_eq!(call(&app, Method::DELETE, &path, Some(&admin)).await, (204, Value::Null));
    assert_eq!(call(&app, Method::GET, &path, Some(&admin)).await.0, 404);
    assert_eq!(call(&app, Method::GET, &format!("/api/repos/{repo}"), Some(&admin)).await.0, 404);
    assert_eq!(call(&app, Method::DELETE, &path, Some(&admin)).await.0, 404);
}
