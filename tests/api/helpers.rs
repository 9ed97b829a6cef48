//! Starting a server for a test, and talking to it.

use std::path::PathBuf;
use std::sync::Arc;

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::app::bootstrap::AdminCredentials;
use nuthatch::app::engine::Engine;
use nuthatch::app::server::Application;
use nuthatch::ports::store::Store;

pub use crate::test_server::{temp_dir, test_config};

/// A server running for one test, on its own port and SQLite file; removed on drop.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// HTTP client that does not follow redirects (tests look at them).
    pub client: reqwest::Client,
    /// The first admin, created at start.
    pub admin: AdminCredentials,
    /// The server's store, for setting up data the API cannot create yet.
    pub store: Arc<dyn Store>,
    /// The server's queue, pub/sub, live logs and log storage, for playing the agents' part.
    pub engine: Engine,
    data_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Starts a server on an empty SQLite database.
pub async fn spawn_app() -> TestApp {
    let data_dir = temp_dir("api");
    let app = Application::build(&test_config(data_dir.clone())).await.expect("server starts");
    let address = format!("http://{}", app.local_addr());
    let admin = app.first_admin().expect("an empty store gets a first admin").clone();
    let store = app.store();
    let engine = app.engine();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, client, admin, store, engine, data_dir, stop: Some(stop) }
}

/// A browser session: the `user_sess` cookie and the CSRF token the page gets.
pub struct Session {
    /// Value of the `user_sess` cookie.
    pub cookie: String,
    /// Value for the `X-CSRF-TOKEN` header.
    pub csrf: String,
}

impl TestApp {
    /// A URL of this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET a path of this server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request is answered")
    }

    /// Sends `method path` with a bearer token (none when `token` is `None`).
    pub async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request is answered")
    }

    /// The built-in forge the server uses (same directory), to create accounts and repos.
    pub async fn local_forge(&self) -> LocalForge {
        LocalForge::open(self.data_dir.join("repos"), "http://localhost").await.unwrap()
    }

    /// Logs in through the login form; panics unless it succeeds.
    pub async fn login(&self, login: &str, password: &str) -> Session {
        let resp = self.submit_login(login, password).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("user_sess="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("a session cookie is set");
        let js = self
            .client
            .get(self.url("/web-config.js"))
            .header("cookie", format!("user_sess={cookie}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = js
            .lines()
            .find_map(|l| l.strip_prefix("window.WOODPECKER_CSRF = \""))
            .and_then(|l| l.strip_suffix("\";"))
            .expect("web-config.js carries a CSRF token")
            .to_owned();
        Session { cookie, csrf }
    }

    /// Posts the login form.
    pub async fn submit_login(&self, login: &str, password: &str) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("login", login)
            .append_pair("password", password)
            .finish();
        self.client
            .post(self.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a local account and logs it in; returns its user id, session and a PAT.
    pub async fn user(&self, login: &str) -> (i64, Session, String) {
        self.local_forge()
            .await
            .create_account(login, &format!("{login}@example.com"), "pw-123456", false)
            .await
            .unwrap();
        let session = self.login(login, "pw-123456").await;
        let token = self
            .client
            .post(self.url("/api/user/token"))
            .header("cookie", format!("user_sess={}", session.cookie))
            .header("x-csrf-token", &session.csrf)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let me: serde_json::Value =
            self.call(reqwest::Method::GET, "/api/user", Some(&token)).await.json().await.unwrap();
        (me["id"].as_i64().unwrap(), session, token)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
