//! A real `git push` to the built-in forge reaches the real server binary as a webhook and is
//! recorded as a pipeline.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::sql::{Driver, SqlStore};
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::status::Status;
use nuthatch::ports::store::PipelineStore;

use crate::helpers::temp_dir;

/// The `nuthatch server` binary on a free port with its own data dir; killed on drop.
struct Server {
    child: Child,
    address: String,
    data_dir: PathBuf,
}

impl Server {
    fn start() -> Self {
        let data_dir = temp_dir("push");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_nuthatch"))
            .arg("server")
            .env("NUTHATCH_DATA_DIR", &data_dir)
            .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{port}"))
            .env("WOODPECKER_HOST", &address)
            .env("WOODPECKER_LOG_LEVEL", "warn")
            .env("NUTHATCH_EMBEDDED_AGENT", "false")
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, address, data_dir };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if is_healthy(&self.address) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become healthy");
    }

    /// The first admin's token, from the credentials file.
    fn admin_token(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("admin-credentials")).unwrap();
        text.lines().find_map(|l| l.strip_prefix("token=")).unwrap().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Whether the server at `address` answers `/healthz` with 204 (a blocking probe).
fn is_healthy(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address.trim_start_matches("http://")) else {
        return false;
    };
    let mut head = [0u8; 12];
    stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.ends_with(b" 204")
}

/// Runs git in `cwd` as a fixed author with `home` as HOME; panics unless it succeeds.
pub fn git(cwd: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_git_push_to_an_activated_repo_is_recorded_as_a_pipeline() {
    let server = Server::start();
    let forge = LocalForge::open(server.data_dir.join("repos"), "http://localhost").await.unwrap();
    let repo = forge.create_repo("admin", "hello").await.unwrap();

    let client = reqwest::Client::new();
    let activated = client
        .post(format!("{}/api/repos?forge_remote_id={}", server.address, repo.forge_remote_id))
        .bearer_auth(server.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 200, "{}", activated.text().await.unwrap());
    let repo_id = activated.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();

    let work = temp_dir("push-work");
    let home = work.join("home");
    std::fs::create_dir_all(&home).unwrap();
    git(&work, &home, &["clone", "--quiet", &repo.clone_url, "tree"]);
    let tree = work.join("tree");
    std::fs::write(
        tree.join(".woodpecker.yaml"),
        "steps:\n  - name: hi\n    image: alpine\n    commands: [echo hi]\n",
    )
    .unwrap();
    git(&tree, &home, &["add", "."]);
    git(&tree, &home, &["commit", "--quiet", "-m", "add pipeline"]);
    git(&tree, &home, &["push", "--quiet", "origin", "HEAD:main"]);
    let sha = git(&tree, &home, &["rev-parse", "HEAD"]);

    let sqlite = server.data_dir.join("nuthatch.sqlite");
    let store = SqlStore::connect(Driver::Sqlite, sqlite.to_str().unwrap(), 2).await.unwrap();
    let pipeline = store.find_pipeline_by_number(repo_id, 1).await.expect("the push was recorded");
    assert_eq!(pipeline.event, WebhookEvent::Push);
    assert_eq!(pipeline.branch, "main");
    assert_eq!(pipeline.commit, sha);
    assert_eq!(pipeline.message.trim(), "add pipeline");
    assert_eq!(pipeline.changed_files, [".woodpecker.yaml"]);
    assert_eq!(pipeline.status, Status::Pending);
    std::fs::remove_dir_all(work).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_without_a_valid_token_is_refused() {
    let server = Server::start();
    let client = reqwest::Client::new();
    for url in ["/api/hook", "/api/hook?access_token=forged.token.here"] {
        let resp = client.post(format!("{}{url}", server.address)).body("{}").send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        assert_eq!(resp.text().await.unwrap(), "failure to parse token from hook");
    }
}
