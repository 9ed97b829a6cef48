//! Every operation of the seed API (the Woodpecker 2.x OpenAPI document) is routed. Routed means the request reaches a handler: anything but
//! the JSON 404 of unknown `/api` paths or a 405.

use std::collections::BTreeSet;

use reqwest::Method;

use crate::helpers::spawn_app;

/// The seed's operations as (method, path under /api).
fn seed_operations() -> Vec<(String, String)> {
    let path = std::env::var("NUTHATCH_SEED_OPENAPI").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/seed-era-openapi.json").to_owned()
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("the seed document {path} must be readable (set NUTHATCH_SEED_OPENAPI): {e}")
    });
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Where the server really serves a seed path: health and version live at the root (the seed
/// wrongly documents them under /api), and the seed's `/org/lookup` typo is upstream's
/// `/orgs/lookup`.
fn served_url(path: &str) -> String {
    let concrete = path
        .split('/')
        .map(|seg| match seg {
            "{repo_full_name}" => "o/n",
            "{org_full_name}" => "o",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/");
    match concrete.as_str() {
        "/healthz" | "/version" => concrete,
        other => format!("/api{}", other.replacen("/org/lookup/", "/orgs/lookup/", 1)),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_seed_operation_is_routed() {
    let app = spawn_app().await;
    // The profiling routes answer like unknown paths below the debug level.
    let level = serde_json::json!({ "log-level": "debug" });
    let resp =
        app.client.post(app.url("/api/log-level")).bearer_auth(&app.admin.token).json(&level).send().await;
    assert_eq!(resp.unwrap().status(), 200);
    let ops = seed_operations();
    assert_eq!(ops.len(), 96, "the seed has 96 operations");
    let mut unrouted = BTreeSet::new();
    for (method, path) in &ops {
        let url = served_url(path);
        let resp =
            app.call(Method::from_bytes(method.as_bytes()).unwrap(), &url, Some(&app.admin.token)).await;
        let status = resp.status().as_u16();
        // An event stream never ends: its headers show it is routed.
        let streaming = resp.headers().get("content-type").is_some_and(|t| t == "text/event-stream");
        let body = if streaming { String::new() } else { resp.text().await.unwrap_or_default() };
        let fallback = status == 404 && body.contains("\"error\":\"not found\"");
        if fallback || status == 405 {
            unrouted.insert((method.clone(), path.clone()));
        }
    }
    assert!(unrouted.is_empty(), "unrouted seed operations: {unrouted:?}");
}

/// Seed paths served outside the OpenAPI document: the webhook receiver and the event streams
/// are not JSON operations, and health and version live at the root.
const UNDOCUMENTED: [&str; 5] =
    ["/hook", "/stream/events", "/stream/logs/{repo_id}/{pipeline}/{stepID}", "/healthz", "/version"];

#[tokio::test(flavor = "multi_thread")]
async fn every_seed_operation_is_in_the_served_openapi_document() {
    let app = spawn_app().await;
    let doc: serde_json::Value =
        app.client.get(app.url("/swagger/doc.json")).send().await.unwrap().json().await.unwrap();
    let documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), format!("/api{path}")))
        })
        .collect();
    let missing: Vec<_> = seed_operations()
        .into_iter()
        .filter(|(_, path)| !UNDOCUMENTED.contains(&path.as_str()))
        .filter(|(method, path)| {
            let url = served_url(path);
            !documented.iter().any(|(m, template)| m == method && template_matches(template, &url))
        })
        .collect();
    assert!(missing.is_empty(), "seed operations missing from /swagger/doc.json: {missing:?}");
}

/// Whether a documented path template serves a concrete path; a parameter in the last segment
/// may take the rest of the path (full names hold a slash).
fn template_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    let last = template.len() - 1;
    let param = |seg: &str| seg.starts_with('{');
    (template.len() == path.len() || (param(template[last]) && path.len() > template.len()))
        && template.iter().zip(&path).all(|(t, p)| param(t) || t == p)
}
