//! Black-box tests of the forges operations: everyone reads a public copy, server admins manage
//! them, and the OAuth client secret never comes back.

use reqwest::Method;
use serde_json::{Value, json};

use crate::crons::send;
use crate::helpers::spawn_app;

fn gitea() -> Value {
    json!({
        "type": "gitea", "url": "https://gitea.example.com", "client": "client-id",
        "oauth_client_secret": "s3cret", "skip_verify": true, "orgs": ["ci"],
        "additional_options": {"oauth_redirect": "x"}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_manages_forges_without_ever_seeing_the_secret() {
    let app = spawn_app().await;
    let admin = Some(app.admin.token.as_str());
    let resp = send(&app, Method::POST, "/api/forges", admin, Some(gitea())).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    let forge: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((forge["type"].as_str(), forge["client"].as_str()), (Some("gitea"), Some("client-id")));
    assert_eq!((forge["skip_verify"].as_bool(), forge["orgs"].clone()), (Some(true), json!(["ci"])));
    let one = format!("/api/forges/{}", forge["id"]);

    let patch = json!({"type": "forgejo", "url": "https://code.example.com", "oauth_client_secret": ""});
    let patched: Value = send(&app, Method::PATCH, &one, admin, Some(patch)).await.json().await.unwrap();
    assert_eq!(
        (patched["type"].as_str(), patched["url"].as_str()),
        (Some("forgejo"), Some("https://code.example.com"))
    );
    assert!(patched.get("client").is_none() && patched.get("orgs").is_none(), "{patched}");
    let stored = app.store.get_forge(forge["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(stored.client_secret, "s3cret", "an empty secret keeps the stored one");

    let list = send(&app, Method::GET, "/api/forges", admin, None).await.text().await.unwrap();
    assert!(list.contains("code.example.com") && !list.contains("s3cret"), "{list}");
    assert_eq!(send(&app, Method::DELETE, &one, admin, None).await.status(), 204);
    assert_eq!(send(&app, Method::GET, &one, admin, None).await.status(), 404);
    assert_eq!(send(&app, Method::DELETE, &one, admin, None).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn others_see_only_id_type_and_url() {
    let app = spawn_app().await;
    let created: Value = send(&app, Method::POST, "/api/forges", Some(&app.admin.token), Some(gitea()))
        .await
        .json()
        .await
        .unwrap();
    let (_, _, user) = app.user("someone").await;
    for token in [None, Some(user.as_str())] {
        let list: Vec<Value> =
            send(&app, Method::GET, "/api/forges", token, None).await.json().await.unwrap();
        let shown = list.iter().find(|f| f["id"] == created["id"]).expect("the forge is listed");
        let mut keys: Vec<&str> = shown.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "type", "url"]);
        let one: Value = send(&app, Method::GET, &format!("/api/forges/{}", created["id"]), token, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one.as_object().unwrap().len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_change_forges_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let (_, _, user) = app.user("someone").await;
    for (token, status) in [(None, 401), (Some(user.as_str()), 403)] {
        assert_eq!(send(&app, Method::POST, "/api/forges", token, Some(gitea())).await.status(), status);
        assert_eq!(send(&app, Method::PATCH, "/api/forges/1", token, Some(gitea())).await.status(), status);
        assert_eq!(send(&app, Method::DELETE, "/api/forges/1", token, None).await.status(), status);
    }
    let admin = Some(app.admin.token.as_str());
    let svn = json!({"type": "svn", "url": "https://x"});
    assert_eq!(send(&app, Method::POST, "/api/forges", admin, Some(svn)).await.status(), 400);
    let no_url = json!({"type": "github"});
    assert_eq!(send(&app, Method::POST, "/api/forges", admin, Some(no_url)).await.status(), 400);
    assert_eq!(send(&app, Method::PATCH, "/api/forges/999", admin, Some(gitea())).await.status(), 404);
    assert_eq!(send(&app, Method::GET, "/api/forges/abc", admin, None).await.status(), 400);
    assert_eq!(send(&app, Method::GET, "/api/forges/999", None, None).await.status(), 404);
}
