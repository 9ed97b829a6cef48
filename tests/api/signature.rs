//! `GET /api/signature/public-key`: the cluster's Ed25519 public key, open to anyone, kept in
//! the store so every server (and every restart) serves the same one.

use futures_util::future::join_all;
use nuthatch::app::server::Application;
use nuthatch::app::signing_key::SigningKey;

use crate::helpers::{spawn_app, temp_dir, test_config};
use crate::signatures::ed25519_key_of;

#[tokio::test(flavor = "multi_thread")]
async fn anyone_gets_the_public_key_as_pem_text() {
    let app = spawn_app().await;
    let resp = app.get("/api/signature/public-key").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    let anonymous = ed25519_key_of(&resp.text().await.unwrap());
    let resp = app.call(reqwest::Method::GET, "/api/signature/public-key", Some(&app.admin.token)).await;
    assert_eq!(ed25519_key_of(&resp.text().await.unwrap()), anonymous);
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_starting_together_and_restarts_share_one_key() {
    let app = spawn_app().await;
    let served = ed25519_key_of(&app.get("/api/signature/public-key").await.text().await.unwrap());
    let loaded = join_all((0..6).map(|_| SigningKey::load_or_create(app.store.as_ref()))).await;
    for key in loaded {
        assert_eq!(key.unwrap().public_key(), served.as_slice());
    }

    let dir = temp_dir("signature");
    let first = Application::build(&test_config(dir.clone())).await.unwrap();
    let first_key = SigningKey::load_or_create(first.store().as_ref()).await.unwrap();
    drop(first);
    let second = Application::build(&test_config(dir.clone())).await.unwrap();
    let second_key = SigningKey::load_or_create(second.store().as_ref()).await.unwrap();
    assert_eq!(first_key.public_key(), second_key.public_key());
    drop(second);
    let _ = std::fs::remove_dir_all(dir);
}
