//! The permission table: each access level against representative routes of each guard, with
//! upstream's status codes (401 anonymous, 403 not allowed, 404 to hide a private repo).

use nuthatch::domain::perm::Perm;
use reqwest::Method;

use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::status::Status;

use crate::helpers::{TestApp, spawn_app};
use crate::pipelines::{pipeline, store_run};

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

/// What a cell of the route table expects.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Exactly this status.
    Is(u16),
    /// Past the guard: any answer but a refusal (401, 403, or the empty 404 that hides a repo).
    Pass,
}

use Want::{Is, Pass};

/// Refusal shapes of upstream's guards, per level (anonymous, user, pull, push, repo admin,
/// server admin).
const PUBLIC: [Want; 6] = [Pass, Pass, Pass, Pass, Pass, Pass];
const USER: [Want; 6] = [Is(401), Pass, Pass, Pass, Pass, Pass];
const SADMIN: [Want; 6] = [Is(401), Is(403), Is(403), Is(403), Is(403), Pass];
const R_PULL: [Want; 6] = [Is(401), Is(404), Pass, Pass, Pass, Pass];
const R_PUSH: [Want; 6] = [Is(401), Is(404), Is(404), Pass, Pass, Pass];
const R_ADMIN: [Want; 6] = [Is(401), Is(403), Is(403), Is(403), Pass, Pass];
/// Server admins only, on a record that does not exist (an empty 404 past the guard).
const SADMIN_MISSING: [Want; 6] = [Is(401), Is(403), Is(403), Is(403), Is(403), Is(404)];
/// Org admin of the server admin's own namespace org: other users are not its admins.
const O_ADMIN: [Want; 6] = [Is(401), Is(403), Is(403), Is(403), Is(403), Pass];

/// One row: method, path, JSON body (valid JSON whose content fails validation where the route
/// would otherwise change something), and the wanted answers.
type Row = (Method, String, Option<serde_json::Value>, [Want; 6]);

/// Sends one request as one level; returns status and body.
async fn answer(app: &TestApp, row: &Row, token: Option<&str>) -> (u16, String) {
    let (method, path, body, _) = row;
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap_or_default())
}

/// The table of every route the API serves against every access level, with upstream's
/// refusals.
#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_exactly_who_upstream_refuses() {
    use serde_json::json;
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
    let admin = Some(app.admin.token.as_str());
    let me: serde_json::Value = app.call(Method::GET, "/api/user", admin).await.json().await.unwrap();
    let org = me["org_id"].as_i64().unwrap();
    let secret = json!({"name": "s1", "value": "v", "events": ["push"]});
    for base in
        [format!("/api/repos/{repo}/secrets"), format!("/api/orgs/{org}/secrets"), "/api/secrets".into()]
    {
        let resp = app.client.post(app.url(&base)).bearer_auth(&app.admin.token).json(&secret).send().await;
        assert_eq!(resp.unwrap().status(), 200, "{base}");
    }
    let registry = json!({"address": "r.example", "username": "u", "password": "p"});
    for base in [
        format!("/api/repos/{repo}/registries"),
        format!("/api/orgs/{org}/registries"),
        "/api/registries".into(),
    ] {
        let resp = app.client.post(app.url(&base)).bearer_auth(&app.admin.token).json(&registry).send().await;
        assert_eq!(resp.unwrap().status(), 200, "{base}");
    }
    let cron = json!({"name": "nightly", "schedule": "@daily"});
    let cron: serde_json::Value = app
        .client
        .post(app.url(&format!("/api/repos/{repo}/cron")))
        .bearer_auth(&app.admin.token)
        .json(&cron)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cron = cron["id"].as_i64().unwrap();
    let agent: serde_json::Value = app
        .client
        .post(app.url("/api/agents"))
        .bearer_auth(&app.admin.token)
        .json(&json!({"name": "a1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent = agent["id"].as_i64().unwrap();

    let finished =
        store_run(&app, repo, pipeline(WebhookEvent::Push, "main", Status::Success, 1), &[Status::Success])
            .await;
    let running =
        store_run(&app, repo, pipeline(WebhookEvent::Push, "main", Status::Running, 2), &[Status::Running])
            .await;

    let r = format!("/api/repos/{repo}");
    let o = format!("/api/orgs/{org}");
    let bad_secret = Some(json!({"events": []}));
    let bad_new_secret = Some(json!({"name": "x", "value": "v"}));
    let bad_registry = Some(json!({"address": ""}));
    let bad_cron = Some(json!({"name": "", "schedule": "@daily"}));
    let get = |path: String, want| (Method::GET, path, None, want);
    let table: Vec<Row> = vec![
        // the caller
        get("/api/user".into(), USER),
        get("/api/user/feed".into(), USER),
        get("/api/user/repos".into(), USER),
        (Method::POST, "/api/user/token".into(), None, USER),
        // users
        get("/api/users".into(), SADMIN),
        (Method::POST, "/api/users".into(), Some(json!({"login": "has space"})), SADMIN),
        get("/api/users/admin".into(), SADMIN),
        (Method::PATCH, "/api/users/ghost".into(), Some(json!({})), SADMIN_MISSING),
        (Method::DELETE, "/api/users/ghost".into(), None, SADMIN_MISSING),
        // repos
        get("/api/repos".into(), SADMIN),
        (Method::POST, "/api/repos/repair".into(), None, SADMIN),
        (Method::POST, "/api/repos?forge_remote_id=unknown".into(), None, USER),
        get("/api/repos/lookup/admin/app".into(), R_PULL),
        get(r.clone(), R_PULL),
        get(format!("{r}/permissions"), PUBLIC),
        get(format!("{r}/branches"), R_PULL),
        get(format!("{r}/pull_requests"), R_PULL),
        (Method::PATCH, r.clone(), Some(json!({"visibility": "nonsense"})), R_ADMIN),
        (Method::POST, format!("{r}/repair"), None, R_ADMIN),
        (Method::POST, format!("{r}/move"), None, R_ADMIN),
        // repo secrets, registries (plural and the seed's singular paths) and crons
        get(format!("{r}/secrets"), R_PUSH),
        (Method::POST, format!("{r}/secrets"), bad_new_secret.clone(), R_PUSH),
        get(format!("{r}/secrets/s1"), R_PUSH),
        (Method::PATCH, format!("{r}/secrets/s1"), bad_secret.clone(), R_PUSH),
        (Method::DELETE, format!("{r}/secrets/missing"), None, R_PUSH),
        get(format!("{r}/registries"), R_PUSH),
        (Method::POST, format!("{r}/registries"), bad_registry.clone(), R_PUSH),
        get(format!("{r}/registries/r.example"), R_PUSH),
        (Method::PATCH, format!("{r}/registries/r.example"), bad_registry.clone(), R_PUSH),
        (Method::DELETE, format!("{r}/registries/missing.example"), None, R_PUSH),
        get(format!("{r}/registry"), R_PUSH),
        get(format!("{r}/registry/r.example"), R_PUSH),
        get(format!("{r}/cron"), R_PUSH),
        (Method::POST, format!("{r}/cron"), bad_cron.clone(), R_PUSH),
        get(format!("{r}/cron/{cron}"), R_PUSH),
        (Method::PATCH, format!("{r}/cron/{cron}"), bad_cron.clone(), R_PUSH),
        (Method::DELETE, format!("{r}/cron/999999"), None, R_PUSH),
        // pipelines and logs: #1 finished, #2 running (so deletions are refused past the guard)
        get(format!("{r}/pipelines"), R_PULL),
        (Method::POST, format!("{r}/pipelines"), Some(json!({"branch": "missing"})), R_PUSH),
        get(format!("{r}/pipelines/1"), R_PULL),
        get(format!("{r}/pipelines/latest?branch=main"), R_PULL),
        get(format!("{r}/pipelines/1/config"), R_PULL),
        get(format!("{r}/pipelines/1/metadata"), R_PUSH),
        (Method::POST, format!("{r}/pipelines/1/cancel"), None, R_PUSH),
        (Method::POST, format!("{r}/pipelines/1/approve"), None, R_PUSH),
        (Method::POST, format!("{r}/pipelines/1/decline"), None, R_PUSH),
        (Method::DELETE, format!("{r}/pipelines/2"), None, R_ADMIN),
        get(format!("{r}/logs/1/{}", finished.steps[0].id), R_PULL),
        get(format!("{r}/logs/1/{}/download", finished.steps[0].id), R_PULL),
        (Method::DELETE, format!("{r}/logs/2/{}", running.steps[0].id), None, R_PUSH),
        (Method::DELETE, format!("{r}/logs/2"), None, R_PUSH),
        // running a cron now: the empty repo has no branch to run it on
        (Method::POST, format!("{r}/cron/{cron}"), None, R_PUSH),
        // the queue and the pipelines across repos (the event streams are checked per caller
        // in streams.rs: they never end, so they cannot be a row here)
        get("/api/pipelines".into(), SADMIN),
        get("/api/queue/info".into(), SADMIN),
        (Method::POST, "/api/queue/pause".into(), None, SADMIN),
        (Method::POST, "/api/queue/resume".into(), None, SADMIN),
        get("/api/queue/norunningpipelines".into(), SADMIN),
        // orgs
        get("/api/orgs".into(), SADMIN),
        get("/api/orgs/lookup/admin".into(), USER),
        get(format!("{o}/permissions"), PUBLIC),
        // O:member, and membership is the forge's answer: the local forge counts these accounts
        // as members of the admin's namespace org
        get(o.clone(), USER),
        get(format!("{o}/secrets"), O_ADMIN),
        (Method::POST, format!("{o}/secrets"), bad_new_secret.clone(), O_ADMIN),
        get(format!("{o}/secrets/s1"), O_ADMIN),
        (Method::PATCH, format!("{o}/secrets/s1"), bad_secret.clone(), O_ADMIN),
        (Method::DELETE, format!("{o}/secrets/missing"), None, O_ADMIN),
        get(format!("{o}/registries"), O_ADMIN),
        (Method::POST, format!("{o}/registries"), bad_registry.clone(), O_ADMIN),
        get(format!("{o}/registries/r.example"), O_ADMIN),
        (Method::PATCH, format!("{o}/registries/r.example"), bad_registry.clone(), O_ADMIN),
        (Method::DELETE, format!("{o}/registries/missing.example"), None, O_ADMIN),
        get(format!("{o}/agents"), O_ADMIN),
        (Method::POST, format!("{o}/agents"), Some(json!({"name": "org-agent"})), O_ADMIN),
        (Method::DELETE, format!("{o}/agents/999999"), None, O_ADMIN),
        // global secrets and registries: reads for any user, writes for server admins
        get("/api/secrets".into(), USER),
        get("/api/secrets/s1".into(), USER),
        (Method::POST, "/api/secrets".into(), bad_new_secret.clone(), SADMIN),
        (Method::PATCH, "/api/secrets/s1".into(), bad_secret.clone(), SADMIN),
        (Method::DELETE, "/api/secrets/missing".into(), None, SADMIN),
        get("/api/registries".into(), USER),
        get("/api/registries/r.example".into(), USER),
        (Method::POST, "/api/registries".into(), bad_registry.clone(), SADMIN),
        (Method::PATCH, "/api/registries/r.example".into(), bad_registry.clone(), SADMIN),
        (Method::DELETE, "/api/registries/missing.example".into(), None, SADMIN),
        // forges, agents, badges, system
        get("/api/forges".into(), PUBLIC),
        get("/api/forges/1".into(), PUBLIC),
        (Method::POST, "/api/forges".into(), Some(json!({"type": "svn"})), SADMIN),
        (Method::PATCH, "/api/forges/999999".into(), Some(json!({})), SADMIN),
        (Method::DELETE, "/api/forges/999999".into(), None, SADMIN),
        get("/api/agents".into(), SADMIN),
        (Method::POST, "/api/agents".into(), Some(json!({"name": "a2"})), SADMIN),
        get(format!("/api/agents/{agent}"), SADMIN),
        get(format!("/api/agents/{agent}/tasks"), SADMIN),
        (Method::PATCH, format!("/api/agents/{agent}"), Some(json!({"name": "a1"})), SADMIN),
        (Method::DELETE, "/api/agents/999999".into(), None, SADMIN),
        get(format!("/api/badges/{repo}/status.svg"), PUBLIC),
        get(format!("/api/badges/{repo}/cc.xml"), PUBLIC),
        get("/api/badges/admin/app/status.svg".into(), PUBLIC),
        get("/api/badges/admin/app/cc.xml".into(), PUBLIC),
        get("/api/log-level".into(), SADMIN),
        (Method::POST, "/api/log-level".into(), Some(json!({"log-level": "loud"})), SADMIN),
        get("/api/signature/public-key".into(), PUBLIC),
        // below the debug level the profiles answer as unknown paths, to everyone
        get("/api/debug/pprof".into(), [Is(404); 6]),
        // last: chown hands the repo to the caller, refreshing resyncs the stored perms from the
        // forge, and token deletion logs every level out
        (Method::POST, format!("{r}/chown"), None, R_ADMIN),
        (Method::POST, "/api/user/repos/refresh".into(), None, USER),
        (Method::DELETE, "/api/user/token".into(), None, USER),
    ];
    let mut wrong = Vec::new();
    for row in &table {
        for ((level, token), want) in levels.iter().zip(row.3) {
            let (status, body) = answer(&app, row, token.as_deref()).await;
            let refused = status == 401 || status == 403 || (status == 404 && body.is_empty());
            let ok = match want {
                Is(code) => status == code,
                Pass => !refused,
            };
            if !ok {
                wrong.push(format!("{level} {} {}: got {status} {body:?}, want {want:?}", row.0, row.1));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}
