//! Health, version, global headers and unknown API paths.

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn healthz_is_no_content_when_the_store_answers() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 204);
    assert!(resp.text().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn version_reports_a_3x_woodpecker_version() {
    let app = spawn_app().await;
    let resp = app.get("/version").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let version = body["version"].as_str().expect("version is a string");
    let major: u64 = version.split('.').next().unwrap().parse().unwrap();
    assert!(major >= 3, "clients refuse versions below 3.0, got {version}");
    assert!(body["source"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_version_and_no_cache_headers() {
    let app = spawn_app().await;
    let resp = app.get("/version").await;
    let headers = resp.headers();
    assert!(headers["x-woodpecker-version"].to_str().unwrap().starts_with("3."));
    assert!(headers["cache-control"].to_str().unwrap().contains("no-store"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_api_paths_get_a_json_404() {
    let app = spawn_app().await;
    let resp = app.get("/api/no/such/thing").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "not found");
}

#[tokio::test(flavor = "multi_thread")]
async fn any_options_request_is_a_cors_preflight() {
    let app = spawn_app().await;
    let resp = app.client.request(reqwest::Method::OPTIONS, app.url("/api/user")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.headers()["access-control-allow-methods"].to_str().unwrap().contains("PATCH"));
}
