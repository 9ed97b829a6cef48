//! Black-box tests of the repo operations: the admin list, lookup by name, settings, chown,
//! repair, move, and the forge's branches and pull requests.

use nuthatch::domain::perm::Perm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::users::{call, send};

/// Creates `owner/name` at the local forge and activates it with `token`; returns its id.
pub async fn activate(app: &TestApp, token: &str, owner: &str, name: &str) -> i64 {
    let repo = app.local_forge().await.create_repo(owner, name).await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    let (status, body) = call(app, Method::POST, &path, Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn server_admins_list_every_repo_by_name() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    activate(&app, &admin, "admin", "zeta").await;
    let alpha = activate(&app, &admin, "admin", "alpha").await;
    assert_eq!(call(&app, Method::DELETE, &format!("/api/repos/{alpha}"), Some(&admin)).await.0, 200);

    let names = |body: Value| -> Vec<String> {
        body.as_array().unwrap().iter().map(|r| r["full_name"].as_str().unwrap().to_owned()).collect()
    };
    let (status, all) = call(&app, Method::GET, "/api/repos", Some(&admin)).await;
    assert_eq!((status, names(all)), (200, vec!["admin/alpha".to_owned(), "admin/zeta".to_owned()]));
    let (_, active) = call(&app, Method::GET, "/api/repos?active=true", Some(&admin)).await;
    assert_eq!(names(active), ["admin/zeta"]);
    let (_, paged) = call(&app, Method::GET, "/api/repos?page=2&perPage=1", Some(&admin)).await;
    assert_eq!(names(paged), ["admin/zeta"]);

    let (_, _, user) = app.user("dev").await;
    assert_eq!(call(&app, Method::GET, "/api/repos", None).await.0, 401);
    assert_eq!(call(&app, Method::GET, "/api/repos", Some(&user)).await.0, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn lookup_finds_a_repo_by_name_ignoring_case() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "app").await;
    for path in
        ["/api/repos/lookup/admin/app", "/api/repos/lookup/ADMIN/App", "/api/repos/lookup/admin%2Fapp"]
    {
        let (status, repo) = call(&app, Method::GET, path, Some(&admin)).await;
        assert_eq!((status, repo["id"].as_i64()), (200, Some(id)), "{path}");
    }
    let (_, _, stranger) = app.user("stranger").await;
    assert_eq!(call(&app, Method::GET, "/api/repos/lookup/admin/app", None).await.0, 401, "private");
    assert_eq!(call(&app, Method::GET, "/api/repos/lookup/admin/app", Some(&stranger)).await.0, 404);
    assert_eq!(call(&app, Method::GET, "/api/repos/lookup/admin/nope", Some(&admin)).await.0, 404);
    assert_eq!(call(&app, Method::GET, "/api/repos/lookup/admin/nope", None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_admins_change_settings_with_3x_and_2x_names() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let id = activate(&app, &dev, "dev", "app").await;
    let path = format!("/api/repos/{id}");
    let patch = json!({
        "config_file": ".ci.yaml", "require_approval": "all_events", "timeout": 90,
        "visibility": "internal", "allow_pr": false, "allow_deploy": true,
        "cancel_previous_pipeline_events": ["push"], "netrc_trusted": ["plugins/git"],
        "approval_allowed_users": ["bot"], "config_extension_endpoint": "https://ext",
        "trusted": {"network": false}
    });
    let (status, repo) = send(&app, Method::PATCH, &path, Some(&dev), patch).await;
    assert_eq!(status, 200, "{repo}");
    assert_eq!(repo["config_file"], ".ci.yaml");
    assert_eq!(
        (repo["require_approval"].as_str(), repo["gated"].as_bool()),
        (Some("all_events"), Some(true))
    );
    assert_eq!((repo["timeout"].as_i64(), repo["visibility"].as_str()), (Some(90), Some("internal")));
    assert_eq!((repo["allow_pr"].as_bool(), repo["allow_deploy"].as_bool()), (Some(false), Some(true)));
    assert_eq!(repo["cancel_previous_pipeline_events"], json!(["push"]));
    assert_eq!(repo["netrc_trusted"], json!(["plugins/git"]));

    let (status, repo) = send(&app, Method::PATCH, &path, Some(&dev), json!({"gated": false})).await;
    assert_eq!((status, repo["require_approval"].as_str()), (200, Some("none")), "2.x gated");
    let (status, repo) =
        send(&app, Method::PATCH, &path, Some(&dev), json!({"netrc_only_trusted": true})).await;
    assert_eq!((status, repo["netrc_trusted"].clone()), (200, json!([])), "2.x netrc_only_trusted");
    let (status, got) = call(&app, Method::GET, &path, Some(&dev)).await;
    assert_eq!((status, got["require_approval"].as_str()), (200, Some("none")), "changes are stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_and_long_timeouts_need_a_server_admin() {
    let app = spawn_app().await;
    let (_, _, dev) = app.user("dev").await;
    let id = activate(&app, &dev, "dev", "app").await;
    let path = format!("/api/repos/{id}");
    let admin = app.admin.token.clone();

    let (status, text) =
        send(&app, Method::PATCH, &path, Some(&dev), json!({"trusted": {"security": true}})).await;
    assert_eq!((status, text), (403, json!("Insufficient privileges")));
    assert_eq!(send(&app, Method::PATCH, &path, Some(&dev), json!({"trusted": true})).await.0, 403);
    let (status, text) = send(&app, Method::PATCH, &path, Some(&dev), json!({"timeout": 121})).await;
    assert_eq!(
        (status, text),
        (403, json!("Timeout is not allowed to be higher than max timeout (120 min)"))
    );

    let (status, repo) =
        send(&app, Method::PATCH, &path, Some(&admin), json!({"trusted": true, "timeout": 500})).await;
    assert_eq!(status, 200, "{repo}");
    assert_eq!(repo["trusted"], json!({"network": true, "volumes": true, "security": true}), "2.x bool");
    assert_eq!(repo["timeout"], 500);
    let unchanged =
        json!({"trusted": {"network": true, "volumes": true, "security": true}, "allow_pr": true});
    assert_eq!(
        send(&app, Method::PATCH, &path, Some(&dev), unchanged).await.0,
        200,
        "unchanged trust is fine"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_refused_with_400() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "app").await;
    let path = format!("/api/repos/{id}");
    let cases = [
        (json!({"timeout": 0}), "Timeout must be at least 1 minute"),
        (json!({"visibility": "secret"}), "Invalid visibility type"),
        (json!({"require_approval": "sometimes"}), "Invalid require-approval setting"),
        (json!({"allow_pr": "yes"}), "allow_pr: expected a boolean"),
        (json!({"timeout": "long"}), "timeout: expected an integer"),
        (json!({"trusted": 1}), "trusted: expected an object or a boolean"),
        (json!({"netrc_trusted": [1]}), "netrc_trusted: expected an array of strings"),
        (
            json!({"cancel_previous_pipeline_events": ["nap"]}),
            "cancel_previous_pipeline_events: unknown event 'nap'",
        ),
        (json!([]), "body must be a JSON object"),
    ];
    for (body, text) in cases {
        assert_eq!(
            send(&app, Method::PATCH, &path, Some(&admin), body.clone()).await,
            (400, json!(text)),
            "{body}"
        );
    }
    let malformed = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(send(&app, Method::PATCH, "/api/repos/999999", Some(&admin), json!({})).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_maintenance_needs_repo_admin() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "app").await;
    let (user_id, _, reader) = app.user("reader").await;
    app.store.set_perm(&Perm { user_id, repo_id: id, pull: true, ..Perm::default() }).await.unwrap();
    for op in ["chown", "repair", "move?to=admin/app"] {
        let path = format!("/api/repos/{id}/{op}");
        assert_eq!(call(&app, Method::POST, &path, None).await.0, 401, "{op}");
        assert_eq!(call(&app, Method::POST, &path, Some(&reader)).await.0, 403, "{op}");
    }
    assert_eq!(send(&app, Method::PATCH, &format!("/api/repos/{id}"), None, json!({})).await.0, 401);
    assert_eq!(send(&app, Method::PATCH, &format!("/api/repos/{id}"), Some(&reader), json!({})).await.0, 403);
    assert_eq!(call(&app, Method::POST, "/api/repos/repair", None).await.0, 401);
    assert_eq!(call(&app, Method::POST, "/api/repos/repair", Some(&reader)).await.0, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn chown_makes_the_caller_the_owner() {
    let app = spawn_app().await;
    let (dev_id, _, dev) = app.user("dev").await;
    let id = activate(&app, &app.admin.token, "admin", "app").await;
    app.store
        .set_perm(&Perm {
            user_id: dev_id,
            repo_id: id,
            pull: true,
            push: true,
            admin: true,
            ..Perm::default()
        })
        .await
        .unwrap();
    let (status, repo) = call(&app, Method::POST, &format!("/api/repos/{id}/chown"), Some(&dev)).await;
    assert_eq!((status, repo["id"].as_i64()), (200, Some(id)));
    assert_eq!(app.store.get_repo(id).await.unwrap().user_id, dev_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn repair_reinstalls_hooks_and_answers_204() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "app").await;
    assert_eq!(
        call(&app, Method::POST, &format!("/api/repos/{id}/repair"), Some(&admin)).await,
        (204, Value::Null)
    );
    assert_eq!(call(&app, Method::POST, "/api/repos/repair", Some(&admin)).await, (204, Value::Null));
    assert_eq!(call(&app, Method::POST, "/api/repos/999999/repair", Some(&admin)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn move_points_the_repo_at_another_forge_repo_and_keeps_the_old_name() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "old").await;
    app.local_forge().await.create_repo("admin", "new").await.unwrap();
    let path = format!("/api/repos/{id}/move?to=admin/new");
    assert_eq!(call(&app, Method::POST, &path, Some(&admin)).await, (204, Value::Null));
    let (_, repo) = call(&app, Method::GET, &format!("/api/repos/{id}"), Some(&admin)).await;
    assert_eq!(repo["full_name"], "admin/new");
    let (status, found) = call(&app, Method::GET, "/api/repos/lookup/admin/old", Some(&admin)).await;
    assert_eq!((status, found["id"].as_i64()), (200, Some(id)), "the old name redirects");

    for bad in ["", "?to=", "?to=nobody", "?to=a/b/c"] {
        let path = format!("/api/repos/{id}/move{bad}");
        assert_eq!(call(&app, Method::POST, &path, Some(&admin)).await.0, 400, "{bad}");
    }
    let gone = format!("/api/repos/{id}/move?to=admin/missing");
    assert_eq!(call(&app, Method::POST, &gone, Some(&admin)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn branches_and_pull_requests_come_from_the_forge() {
    let app = spawn_app().await;
    let admin = app.admin.token.clone();
    let id = activate(&app, &admin, "admin", "app").await;
    let (status, branches) =
        call(&app, Method::GET, &format!("/api/repos/{id}/branches"), Some(&admin)).await;
    assert_eq!(status, 200);
    assert!(branches.is_array(), "{branches}");
    let pulls = format!("/api/repos/{id}/pull_requests");
    assert_eq!(
        call(&app, Method::GET, &pulls, Some(&admin)).await,
        (200, json!([])),
        "the local forge has none"
    );

    let (_, _, stranger) = app.user("stranger").await;
    assert_eq!(call(&app, Method::GET, &pulls, None).await.0, 401);
    assert_eq!(call(&app, Method::GET, &pulls, Some(&stranger)).await.0, 404);
    let branches = format!("/api/repos/{id}/branches");
    assert_eq!(call(&app, Method::GET, &branches, Some(&stranger)).await.0, 404);
}
