//! New pipelines: the tree of workflows and steps, the queue task, skip-ci, bad configs,
//! matrices and dependencies between workflows.

use reqwest::Method;
use serde_json::{Value, json};

use super::{ONE_STEP, Project, tree};

const ZERO: &str = "0000000000000000000000000000000000000000";

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pushed_config_becomes_a_pending_pipeline_with_its_tree_and_a_queued_task() {
    let p = Project::new().await;
    let two_steps = "steps:\n  - name: build\n    image: alpine\n    commands: [make]\n  - name: test\n    image: alpine\n    commands: [make test]\n";
    let sha = p.commit(&[(".woodpecker.yaml", two_steps)], "add pipeline");

    let resp = p.push_hook(ZERO, &sha).await;
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    assert_eq!((created["number"].as_i64(), created["status"].as_str()), (Some(1), Some("pending")));
    assert_eq!((created["event"].as_str(), created["commit"].as_str()), (Some("push"), Some(sha.as_str())));

    let pipeline = p.pipeline(1).await;
    let pending = |n: &str| (n.to_owned(), "pending".to_owned());
    assert_eq!(
        tree(&pipeline),
        [(
            "woodpecker".to_owned(),
            "pending".to_owned(),
            vec![pending("clone"), pending("build"), pending("test")]
        )]
    );
    let steps = pipeline["workflows"][0]["children"].as_array().unwrap();
    let pids: Vec<i64> = steps.iter().map(|s| s["pid"].as_i64().unwrap()).collect();
    assert_eq!(pids, [2, 3, 4], "steps are numbered after the workflow");
    assert!(steps.iter().all(|s| s["ppid"] == 1 && !s["uuid"].as_str().unwrap().is_empty()));

    let queue = p.queue().await;
    let tasks = queue["pending"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task["id"].as_str().unwrap(), pipeline["workflows"][0]["id"].as_i64().unwrap().to_string());
    assert_eq!(task["pipeline_number"], 1);
    let labels = &task["labels"];
    assert_eq!(labels["repo"], "admin/hello");
    assert!(labels["org-id"].as_str().is_some());
    assert_eq!(labels["woodpecker-ci.org/repo-full-name"], "admin/hello");
    assert_eq!(labels["woodpecker-ci.org/event"], "push");

    let configs: Value = p.call(Method::GET, "/pipelines/1/config").await.json().await.unwrap();
    assert_eq!(names(&configs), [".woodpecker.yaml"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_ci_in_a_pushed_commit_is_filtered_and_not_kept() {
    let p = Project::new().await;
    let sha = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "docs only [skip ci]");
    let resp = p.push_hook(ZERO, &sha).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.headers()["pipeline-filtered"], "true");
    assert_eq!(p.call(Method::GET, "/pipelines/1").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_pipeline_runs_the_branch_head_with_its_variables() {
    let p = Project::new().await;
    let sha = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    let resp = p.run_manual(json!({"branch": "main", "variables": {"GREETING": "hi"}})).await;
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["event"], "manual");
    assert_eq!(created["commit"], sha);
    assert_eq!(created["status"], "pending");
    assert_eq!(created["author"], "admin");
    assert_eq!(created["workflows"].as_array().unwrap().len(), 1);

    let missing = p.run_manual(json!({"branch": "nope"})).await;
    assert_eq!(missing.status(), 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repo_without_config_filters_a_manual_run() {
    let p = Project::new().await;
    p.commit(&[("README.md", "hi")], "no pipeline");
    let resp = p.run_manual(json!({"branch": "main"})).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.headers()["pipeline-filtered"], "true");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_yaml_ends_the_pipeline_in_error_with_the_line() {
    let p = Project::new().await;
    let broken = "steps:\n  build:\n    image: alpine\n    commands: [echo hi,\n";
    p.commit(&[(".woodpecker.yaml", broken)], "broken");
    let resp = p.run_manual(json!({"branch": "main"})).await;
    assert_eq!(resp.status(), 200);
    let pipeline: Value = resp.json().await.unwrap();
    assert_eq!(pipeline["status"], "error");
    let error = &pipeline["errors"][0];
    assert_eq!(error["is_warning"], false);
    assert_eq!(error["data"]["file"], "woodpecker");
    assert!(error["data"]["line"].as_i64().unwrap() > 0, "{error}");
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_matrix_becomes_one_workflow_per_axis() {
    let p = Project::new().await;
    let matrix = format!("matrix:\n  GO: ['1.22', '1.23', '1.24']\n{ONE_STEP}");
    p.commit(&[(".woodpecker.yaml", matrix.as_str())], "matrix");
    let pipeline: Value = p.run_manual(json!({"branch": "main"})).await.json().await.unwrap();
    let workflows = pipeline["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 3);
    let axes: Vec<&str> = workflows.iter().map(|w| w["environ"]["GO"].as_str().unwrap()).collect();
    assert_eq!(axes, ["1.22", "1.23", "1.24"]);
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn depends_on_becomes_task_dependencies() {
    let p = Project::new().await;
    let deploy = format!("depends_on: [build]\n{ONE_STEP}");
    p.commit(&[(".woodpecker/build.yaml", ONE_STEP), (".woodpecker/deploy.yaml", deploy.as_str())], "two");
    let pipeline: Value = p.run_manual(json!({"branch": "main"})).await.json().await.unwrap();
    let id_of = |name: &str| {
        pipeline["workflows"].as_array().unwrap().iter().find(|w| w["name"] == name).unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let queue = p.queue().await;
    let all: Vec<&Value> = queue["pending"]
        .as_array()
        .unwrap()
        .iter()
        .chain(queue["waiting_on_deps"].as_array().unwrap())
        .collect();
    let task = |id: &str| all.iter().find(|t| t["id"] == id).copied().unwrap();
    assert_eq!(task(&id_of("deploy"))["dependencies"], json!([id_of("build")]));
    assert_eq!(task(&id_of("build"))["dependencies"], json!([]));
}
