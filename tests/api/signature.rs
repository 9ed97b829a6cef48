//! `GET /api/signature/public-key`: the cluster's Ed25519 public key, open to anyone, kept in
//! the store so every server (and every restart) serves the same one.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::future::join_all;
use nuthatch::app::server::Application;
use nuthatch::app::signing_key::SigningKey;

use crate::helpers::{spawn_app, temp_dir, test_config};

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const SPKI_ED25519_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The 32 key bytes of a PEM `PUBLIC KEY` block; panics unless it is an Ed25519 SPKI.
fn ed25519_key_of(pem: &str) -> Vec<u8> {
    let mut lines = pem.lines();
    assert_eq!(lines.next(), Some("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let body: String = lines.by_ref().take_while(|l| !l.starts_with("-----END")).collect();
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
    let der = B64.decode(body).unwrap();
    assert_eq!(der.len(), 44);
    assert_eq!(der[..12], SPKI_ED25519_PREFIX);
    der[12..].to_vec()
}

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
