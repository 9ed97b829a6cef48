//! Who may call: the first admin, personal access tokens, sessions with CSRF, forged tokens.

use nuthatch::domain::token::{Token, TokenType, claims};
use reqwest::Method;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn the_first_admins_token_works_and_is_kept_in_a_private_file() {
    let app = spawn_app().await;
    let resp = app.call(Method::GET, "/api/user", Some(&app.admin.token)).await;
    assert_eq!(resp.status(), 200);
    let me: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(me["login"], "admin");
    assert_eq!(me["admin"], true);
    assert!(me.get("hash").is_none() && me.get("access_token").is_none(), "secrets never leave: {me}");

    let file = std::fs::read_to_string(&app.admin.file).unwrap();
    assert!(file.contains(&format!("token={}", app.admin.token)));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&app.admin.file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_personal_access_token_is_plain_text_and_works() {
    let app = spawn_app().await;
    let resp = app.call(Method::POST, "/api/user/token", Some(&app.admin.token)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let pat = resp.text().await.unwrap();
    assert_eq!(app.call(Method::GET, "/api/user", Some(&pat)).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn resetting_the_token_revokes_every_old_token_and_session() {
    let app = spawn_app().await;
    let (_, session, old_pat) = app.user("dora").await;
    let resp = app.call(Method::DELETE, "/api/user/token", Some(&old_pat)).await;
    assert_eq!(resp.status(), 200);
    let new_pat = resp.text().await.unwrap();

    assert_eq!(app.call(Method::GET, "/api/user", Some(&old_pat)).await.status(), 401);
    assert_eq!(app.call(Method::GET, "/api/user", Some(&new_pat)).await.status(), 200);
    let by_cookie =
        app.client.get(app.url("/api/user")).header("cookie", format!("user_sess={}", session.cookie));
    assert_eq!(by_cookie.send().await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_tokens_are_refused() {
    let app = spawn_app().await;
    let (dora_id, _, _) = app.user("dora").await;
    let admin = app.store.find_user_by_login(1, "admin").await.unwrap();
    let dora = app.store.get_user(dora_id).await.unwrap();
    let as_admin = |kind| Token::new(kind, [(claims::USER_ID, admin.id.to_string())]);

    let forged = [
        ("wrong signature", as_admin(TokenType::User).sign(b"guessed")),
        ("wrong type", as_admin(TokenType::Csrf).sign(admin.hash.as_bytes())),
        ("another user's hash", as_admin(TokenType::User).sign(dora.hash.as_bytes())),
        ("expired session", as_admin(TokenType::Sess).expiring_at(1).sign(admin.hash.as_bytes())),
        ("unknown user", Token::new(TokenType::User, [(claims::USER_ID, "999".into())]).sign(b"x")),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, token) in forged {
        assert_eq!(app.call(Method::GET, "/api/user", Some(&token)).await.status(), 401, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cookie_session_needs_the_csrf_token_to_change_anything() {
    let app = spawn_app().await;
    let session = app.login("admin", &app.admin.password).await;
    let cookie = format!("user_sess={}", session.cookie);

    let read = app.client.get(app.url("/api/user")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(read.status(), 200, "reading needs no CSRF token");

    let without = app.client.post(app.url("/api/user/token")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(without.status(), 401);
    let wrong =
        app.client.post(app.url("/api/user/token")).header("cookie", &cookie).header("x-csrf-token", "nope");
    assert_eq!(wrong.send().await.unwrap().status(), 401);
    let with = app
        .client
        .post(app.url("/api/user/token"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &session.csrf);
    assert_eq!(with.send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_goes_back_to_the_form() {
    let app = spawn_app().await;
    let resp = app.submit_login("admin", "wrong").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/authorize?error=invalid_credentials");
    assert!(resp.headers().get("set-cookie").is_none());
    let unknown = app.submit_login("nobody", "x").await;
    assert_eq!(unknown.headers()["location"], "/authorize?error=invalid_credentials");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_drops_the_session_cookie() {
    let app = spawn_app().await;
    let resp = app.get("/logout").await;
    assert_eq!(resp.status(), 303);
    let cleared = resp.headers().get_all("set-cookie").iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("user_sess=") && (v.contains("Max-Age=0") || v.contains("1970"))
    });
    assert!(cleared, "{:?}", resp.headers());
}

#[tokio::test(flavor = "multi_thread")]
async fn web_config_names_the_user_only_when_logged_in() {
    let app = spawn_app().await;
    let anonymous = app.get("/web-config.js").await;
    assert!(anonymous.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let js = anonymous.text().await.unwrap();
    assert!(js.contains("window.WOODPECKER_USER = null;"));
    assert!(js.contains("window.WOODPECKER_CSRF = \"\";"));

    let session = app.login("admin", &app.admin.password).await;
    assert!(!session.csrf.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_or_oversized_credentials_are_a_clear_4xx() {
    let app = spawn_app().await;
    let cases = [
        ("authorization", "Bearer".to_owned()),
        ("authorization", "Basic YWRtaW46eA==".to_owned()),
        ("authorization", "Bearer \u{1}".replace('\u{1}', "%%%")),
        ("cookie", format!("user_sess={}", "a".repeat(64 * 1024))),
        ("x-gitlab-token", "garbage".to_owned()),
    ];
    for (header, value) in cases {
        let resp = app.client.get(app.url("/api/user")).header(header, value.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        assert!((400..500).contains(&status), "{header}: {} → {status}", &value[..value.len().min(40)]);
    }
    let resp = app.call(Method::GET, "/api/user?access_token=garbage", None).await;
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_named_by_the_environment_are_admins_at_login() {
    let data_dir = crate::helpers::temp_dir("env-admin");
    let mut config = crate::helpers::test_config(data_dir.clone());
    config.admin = vec!["root-user".into()];
    let app = nuthatch::app::server::Application::build(&config).await.unwrap();
    assert_eq!(app.first_admin().unwrap().login, "root-user", "the first admin takes the first admin name");
    std::fs::remove_dir_all(data_dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_forge_is_a_clear_404() {
    let app = spawn_app().await;
    for path in ["/authorize?forge_id=99", "/authorize?forge_id=abc"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(resp.text().await.unwrap(), "forge not found");
    }
    assert_eq!(app.get("/authorize?forge_id=1").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_token_of_another_forge_is_refused() {
    let app = spawn_app().await;
    let repo = app.local_forge().await.create_repo("admin", "hooked").await.unwrap();
    let path = format!("/api/repos?forge_remote_id={}", repo.forge_remote_id);
    let id = app
        .call(Method::POST, &path, Some(&app.admin.token))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let stored = app.store.get_repo(id).await.unwrap();
    let hook_token = |forge: &str| {
        Token::new(
            TokenType::Hook,
            [
                (claims::FORGE_ID, forge.to_owned()),
                (claims::REPO_FORGE_REMOTE_ID, stored.forge_remote_id.clone()),
            ],
        )
        .sign(stored.hash.as_bytes())
    };
    let post = |token: String| {
        app.client.post(app.url(&format!("/api/hook?access_token={token}"))).body("{}").send()
    };
    assert_eq!(post(hook_token("42")).await.unwrap().status(), 400);
    let right_forge = post(hook_token("1")).await.unwrap();
    assert_eq!(right_forge.status(), 400, "a valid token, but the body is not a push notice");
    assert_ne!(right_forge.text().await.unwrap(), "failure to parse token from hook");
}
