//! With `WOODPECKER_LOG_STORE=file`, deleting a pipeline, a repo or an org deletes the log
//! files of their steps, and nothing else.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::agent::harness::{Ci, TestRepo, step, steps};
use crate::test_server::temp_dir;

const ONE_STEP: &str = "steps:\n  - name: greet\n    image: alpine\n    commands: [echo hello]\n";

/// The log file of a step.
fn log_file(dir: &Path, step: &Value) -> PathBuf {
    dir.join(format!("{}.json", step["id"].as_i64().unwrap()))
}

/// Pushes a pipeline (each push a new commit) and returns the log files its steps wrote; the
/// `greet` step's is one of them.
async fn run(ci: &Ci, repo: &TestRepo, dir: &Path, number: i64) -> Vec<PathBuf> {
    ci.push(repo, &[(".woodpecker.yaml", &format!("{ONE_STEP}# run {number}\n"))]);
    let pipeline = ci.finished(repo, number).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert!(log_file(dir, &step(&pipeline, "greet")).is_file(), "the greet step wrote its log file");
    steps(&pipeline).iter().map(|(_, s)| log_file(dir, s)).filter(|f| f.is_file()).collect()
}

async fn delete(ci: &Ci, path: &str) {
    let resp = ci.http.delete(ci.url(path)).bearer_auth(&ci.token).send().await.unwrap();
    assert!(resp.status().is_success(), "DELETE {path}: {}", resp.status());
}

fn gone(files: &[PathBuf]) -> bool {
    files.iter().all(|f| !f.exists())
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_pipeline_a_repo_or_an_org_deletes_their_log_files() {
    let dir = temp_dir("log-files");
    let ci = Ci::start(&[
        ("WOODPECKER_LOG_STORE", "file"),
        ("WOODPECKER_LOG_STORE_FILE_PATH", dir.to_str().unwrap()),
    ]);
    let repo = ci.repo("first").await;
    let first = run(&ci, &repo, &dir, 1).await;
    let second = run(&ci, &repo, &dir, 2).await;
    let other = ci.repo("other").await;
    let others = run(&ci, &other, &dir, 1).await;

    delete(&ci, &format!("/api/repos/{}/pipelines/1", repo.id)).await;
    assert!(gone(&first), "the deleted pipeline's files");
    assert!(!gone(&second), "the other pipeline keeps its files");

    delete(&ci, &format!("/api/repos/{}?remove=true", repo.id)).await;
    assert!(gone(&second), "the deleted repo's files");
    assert!(!gone(&others), "the other repo keeps its files");

    let org_id = ci.get(&format!("/api/repos/{}", other.id)).await["org_id"].as_i64().unwrap();
    delete(&ci, &format!("/api/orgs/{org_id}")).await;
    assert!(gone(&others), "the deleted org's repos' files");
    std::fs::remove_dir_all(dir).unwrap();
}
