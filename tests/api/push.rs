//! A real `git push` to the built-in forge reaches the real server binary as a webhook and is
//! recorded as a pipeline.

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::sql::{Driver, SqlStore};
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::status::Status;
use nuthatch::ports::store::PipelineStore;

pub use crate::git_cli::git;
use crate::helpers::temp_dir;
use crate::server_process::ServerProcess;

/// The `nuthatch server` binary without its embedded agent, so pushed pipelines stay pending.
fn start_server() -> ServerProcess {
    ServerProcess::start(temp_dir("push"), &[("NUTHATCH_EMBEDDED_AGENT", "false")])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_git_push_to_an_activated_repo_is_recorded_as_a_pipeline() {
    let server = start_server();
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
    let server = start_server();
    let client = reqwest::Client::new();
    for url in ["/api/hook", "/api/hook?access_token=forged.token.here"] {
        let resp = client.post(format!("{}{url}", server.address)).body("{}").send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        assert_eq!(resp.text().await.unwrap(), "failure to parse token from hook");
    }
}
