//! Black-box tests of server administration: the runtime log level and the Prometheus
//! endpoint behind its static token.

use nuthatch::app::server::Application;
use reqwest::Method;
use serde_json::{Value, json};

use crate::crons::send;
use crate::helpers::{spawn_app, temp_dir, test_config};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_reads_and_changes_the_log_level() {
    let app = spawn_app().await;
    let admin = Some(app.admin.token.as_str());
    let level: Value = send(&app, Method::GET, "/api/log-level", admin, None).await.json().await.unwrap();
    assert_eq!(level, json!({"log-level": "warn"}), "the level the server started with");

    let resp = send(&app, Method::POST, "/api/log-level", admin, Some(json!({"log-level": "debug"}))).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"log-level": "debug"}));
    let level: Value = send(&app, Method::GET, "/api/log-level", admin, None).await.json().await.unwrap();
    assert_eq!(level, json!({"log-level": "debug"}));

    let bad = send(&app, Method::POST, "/api/log-level", admin, Some(json!({"log-level": "loud"}))).await;
    assert_eq!(bad.status(), 400);
    let level: Value = send(&app, Method::GET, "/api/log-level", admin, None).await.json().await.unwrap();
    assert_eq!(level, json!({"log-level": "debug"}), "a refused level changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_server_admins_touch_the_log_level() {
    let app = spawn_app().await;
    let (_, _, user) = app.user("someone").await;
    for (token, status) in [(None, 401), (Some(user.as_str()), 403)] {
        assert_eq!(send(&app, Method::GET, "/api/log-level", token, None).await.status(), status);
        let body = Some(json!({"log-level": "trace"}));
        assert_eq!(send(&app, Method::POST, "/api/log-level", token, body).await.status(), status);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_do_not_exist_without_a_token() {
    let app = spawn_app().await;
    let resp = send(&app, Method::GET, "/metrics", Some(&app.admin.token), None).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_the_exact_bearer_token() {
    let data_dir = temp_dir("metrics");
    let mut config = test_config(data_dir.clone());
    config.prometheus_auth_token = Some("scrape-me".into());
    let app = Application::build(&config).await.expect("server starts");
    let url = format!("http://{}/metrics", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();

    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.text().await.unwrap(), "invalid or missing token");
    for wrong in ["Bearer nope", "bearer scrape-me", "scrape-me"] {
        let resp = client.get(&url).header("authorization", wrong).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{wrong}");
    }
    let resp = client.get(&url).header("authorization", "Bearer scrape-me").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    assert!(text.contains("# TYPE woodpecker_user_count gauge\nwoodpecker_user_count 1\n"), "{text}");
    assert!(text.contains("woodpecker_repo_count 0\n"), "{text}");

    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(data_dir);
}
