//! Black-box tests of the pipeline reads: the filtered, paged list of a repo's pipelines, one
//! pipeline with its workflow tree (by number or `latest`), its configs and metadata, and the
//! admins' list of unfinished pipelines. Also the fixtures the log, queue and stream tests share:
//! pipelines with workflows and steps stored directly.

use nuthatch::domain::config::Config;
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::status::Status;
use nuthatch::domain::workflow::{Step, Workflow};
use nuthatch::ports::store::WorkflowTree;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::secrets::{expect, repo_fixture};

/// A stored pipeline and the steps of its one workflow.
pub struct Run {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// Stores `pipeline` in the repo with one workflow `build` holding one step per given state.
pub async fn store_run(app: &TestApp, repo_id: i64, pipeline: Pipeline, steps: &[Status]) -> Run {
    let pipeline = app.store.create_pipeline(&Pipeline { repo_id, ..pipeline }).await.unwrap();
    let workflow = Workflow {
        pipeline_id: pipeline.id,
        pid: 1,
        name: "build".into(),
        state: pipeline.status,
        ..Workflow::default()
    };
    let steps = steps
        .iter()
        .enumerate()
        .map(|(i, state)| Step {
            uuid: format!("{}-{}-{i}", repo_id, pipeline.number),
            pipeline_id: pipeline.id,
            pid: i as i32 + 2,
            ppid: 1,
            name: format!("step-{i}"),
            state: *state,
            ..Step::default()
        })
        .collect();
    let trees = app.store.create_workflows(&[WorkflowTree { workflow, steps }]).await.unwrap();
    Run { pipeline, steps: trees.into_iter().next().unwrap().steps }
}

/// A pipeline with these facts (status success unless set otherwise by the caller).
pub fn pipeline(event: WebhookEvent, branch: &str, status: Status, created: i64) -> Pipeline {
    Pipeline {
        event,
        branch: branch.into(),
        git_ref: format!("refs/heads/{branch}"),
        status,
        created,
        author: "octocat".into(),
        ..Pipeline::default()
    }
}

/// Makes `main` the repo's default branch (the local forge takes git's, which varies).
async fn main_branch(app: &TestApp, repo_id: i64) {
    let mut repo = app.store.get_repo(repo_id).await.unwrap();
    repo.default_branch = "main".into();
    app.store.update_repo(&repo).await.unwrap();
}

/// The `number`s of a pipeline list.
fn numbers(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|p| p["number"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_is_newest_first_paged_and_filtered_like_upstream() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let t = 1_700_000_000;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Success, t), &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::PullRequest, "dev", Status::Failure, t + 100), &[]).await;
    let mut tag = pipeline(WebhookEvent::Tag, "main", Status::Success, t + 200);
    tag.git_ref = "refs/tags/v1.0".into();
    store_run(&app, repo.id, tag, &[]).await;
    let base = format!("/api/repos/{}/pipelines", repo.id);
    let reader = Some(repo.reader.as_str());

    let all = expect(&app, Method::GET, &base, reader, None, 200).await;
    assert_eq!(numbers(&all), [3, 2, 1]);
    assert!(all[0].get("workflows").is_none(), "lists carry no workflow tree");
    assert_eq!((all[0]["event"].as_str(), all[0]["ref"].as_str()), (Some("tag"), Some("refs/tags/v1.0")));

    let cases = [
        ("?page=2&perPage=2", vec![1]),
        ("?perPage=500", vec![3, 2, 1]),
        ("?branch=main", vec![3, 1]),
        ("?event=push,tag", vec![3, 1]),
        ("?status=failure", vec![2]),
        ("?ref=tags", vec![3]),
        ("?before=2023-11-14T22:15:01Z", vec![2, 1]),
        ("?before=2023-11-14T22:15:00Z", vec![1]),
        ("?after=2023-11-14T22:14:00Z&before=2023-11-14T22:16:00Z", vec![2]),
    ];
    for (query, want) in cases {
        let got = expect(&app, Method::GET, &format!("{base}{query}"), reader, None, 200).await;
        assert_eq!(numbers(&got), want, "{query}");
    }
    for bad in ["?event=push,nope", "?status=done", "?before=yesterday"] {
        expect(&app, Method::GET, &format!("{base}{bad}"), reader, None, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pipeline_reads_need_pull_and_hide_the_private_repo() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Success, 1), &[Status::Success])
        .await;
    let base = format!("/api/repos/{}/pipelines", repo.id);
    for path in [base.clone(), format!("{base}/1"), format!("{base}/latest"), format!("{base}/1/config")] {
        expect(&app, Method::GET, &path, None, None, 401).await;
        expect(&app, Method::GET, &path, Some(&repo.stranger), None, 404).await;
        expect(&app, Method::GET, &path, Some(&repo.reader), None, 200).await;
        expect(&app, Method::GET, &path, Some(&app.admin.token), None, 200).await;
    }
    let reader = Some(repo.reader.as_str());
    expect(&app, Method::GET, "/api/repos/999999/pipelines", reader, None, 404).await;
    expect(&app, Method::GET, "/api/repos/x/pipelines", reader, None, 400).await;
    expect(&app, Method::GET, &format!("{base}/7"), reader, None, 404).await;
    expect(&app, Method::GET, &format!("{base}/seven"), reader, None, 400).await;
    expect(&app, Method::GET, &format!("{base}/7/config"), reader, None, 404).await;
    expect(&app, Method::GET, &format!("{base}/x/config"), reader, None, 400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_pipeline_comes_with_its_workflow_tree_and_latest_is_the_newest_push_of_a_branch() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    main_branch(&app, repo.id).await;
    let steps = [Status::Success, Status::Running];
    let run =
        store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Running, 1), &steps).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "dev", Status::Success, 2), &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::PullRequest, "main", Status::Success, 3), &[]).await;
    let base = format!("/api/repos/{}/pipelines", repo.id);
    let reader = Some(repo.reader.as_str());

    let one = expect(&app, Method::GET, &format!("{base}/1"), reader, None, 200).await;
    assert_eq!((one["id"].as_i64(), one["status"].as_str()), (Some(run.pipeline.id), Some("running")));
    let workflows = one["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 1);
    assert_eq!((workflows[0]["name"].as_str(), workflows[0]["pid"].as_i64()), (Some("build"), Some(1)));
    let children = workflows[0]["children"].as_array().unwrap();
    let states: Vec<_> = children.iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["success", "running"]);
    assert_eq!(children[1]["id"].as_i64(), Some(run.steps[1].id));
    assert_eq!(children[1]["ppid"], 1);

    // The repo's default branch is main: the pull request (3) is not a push, 2 is on dev.
    let latest = expect(&app, Method::GET, &format!("{base}/latest"), reader, None, 200).await;
    assert_eq!(latest["number"], 1);
    assert!(latest["workflows"].is_array());
    let dev = expect(&app, Method::GET, &format!("{base}/latest?branch=dev"), reader, None, 200).await;
    assert_eq!(dev["number"], 2);
    expect(&app, Method::GET, &format!("{base}/latest?branch=gone"), reader, None, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn configs_come_back_with_base64_data() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    let run = store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Success, 1), &[]).await;
    let config = |name: &str, data: &str| Config {
        repo_id: repo.id,
        hash: format!("hash-of-{name}"),
        name: name.into(),
        data: data.as_bytes().to_vec(),
        ..Config::default()
    };
    let files = [config(".woodpecker/test.yaml", "steps: []\n"), config(".woodpecker/build.yaml", "a")];
    app.store.link_configs(run.pipeline.id, &files).await.unwrap();
    let path = format!("/api/repos/{}/pipelines/1/config", repo.id);
    let got = expect(&app, Method::GET, &path, Some(&repo.reader), None, 200).await;
    assert_eq!(
        got,
        json!([
            {"hash": "hash-of-.woodpecker/build.yaml", "name": ".woodpecker/build.yaml", "data": "YQ=="},
            {"hash": "hash-of-.woodpecker/test.yaml", "name": ".woodpecker/test.yaml", "data": "c3RlcHM6IFtdCg=="},
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_shows_the_pipeline_its_predecessor_on_the_branch_and_the_server() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    main_branch(&app, repo.id).await;
    let mut first = pipeline(WebhookEvent::Push, "main", Status::Failure, 10);
    first.commit = "aaa".into();
    store_run(&app, repo.id, first, &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "dev", Status::Success, 20), &[]).await;
    let mut third = pipeline(WebhookEvent::Deployment, "main", Status::Success, 30);
    (third.commit, third.deploy_to, third.parent, third.message) =
        ("ccc".into(), "prod".into(), 1, "ship".into());
    store_run(&app, repo.id, third, &[]).await;
    let path = format!("/api/repos/{}/pipelines/3/metadata", repo.id);

    expect(&app, Method::GET, &path, None, None, 401).await;
    expect(&app, Method::GET, &path, Some(&repo.reader), None, 404).await;
    let m = expect(&app, Method::GET, &path, Some(&repo.writer), None, 200).await;
    assert_eq!((m["repo"]["id"].as_i64(), m["repo"]["name"].as_str()), (Some(repo.id), Some("app")));
    assert_eq!(m["repo"]["owner"], "admin");
    assert_eq!(m["repo"]["default_branch"], "main");
    assert!(m["repo"]["trusted"].is_object());
    let curr = &m["curr"];
    assert_eq!((curr["number"].as_i64(), curr["event"].as_str()), (Some(3), Some("deployment")));
    assert_eq!((curr["target"].as_str(), curr["parent"].as_i64()), (Some("prod"), Some(1)));
    assert_eq!(curr["commit"]["sha"], "ccc");
    assert_eq!(curr["commit"]["message"], "ship");
    assert_eq!(curr["commit"]["author"]["name"], "octocat");
    assert_eq!((m["prev"]["number"].as_i64(), m["prev"]["status"].as_str()), (Some(1), Some("failure")));
    assert_eq!(m["prev"]["commit"]["sha"], "aaa");
    assert_eq!(
        (m["sys"]["name"].as_str(), m["sys"]["url"].as_str()),
        (Some("woodpecker"), Some("http://localhost"))
    );
    assert_eq!(m["sys"]["host"], "localhost");
    assert!(m["forge"].is_object() && m["workflow"].is_object() && m["step"].is_object());

    let first = format!("/api/repos/{}/pipelines/1/metadata", repo.id);
    let m = expect(&app, Method::GET, &first, Some(&repo.writer), None, 200).await;
    assert_eq!(m["prev"], json!({"commit": {"author": {}}, "release": {}}), "no predecessor: empty objects");
    expect(
        &app,
        Method::GET,
        &format!("/api/repos/{}/pipelines/9/metadata", repo.id),
        Some(&repo.writer),
        None,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_see_every_pending_and_running_pipeline() {
    let app = spawn_app().await;
    let repo = repo_fixture(&app).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Success, 1), &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Running, 2), &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Pending, 3), &[]).await;
    store_run(&app, repo.id, pipeline(WebhookEvent::Push, "main", Status::Blocked, 4), &[]).await;

    expect(&app, Method::GET, "/api/pipelines", None, None, 401).await;
    expect(&app, Method::GET, "/api/pipelines", Some(&repo.writer), None, 403).await;
    let feed = expect(&app, Method::GET, "/api/pipelines", Some(&app.admin.token), None, 200).await;
    let rows: Vec<_> = feed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["number"].as_i64().unwrap(), f["status"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(rows, [(2, "running".to_owned()), (3, "pending".to_owned())]);
    assert_eq!(
        (feed[0]["repo_id"].as_i64(), feed[0]["full_name"].as_str()),
        (Some(repo.id), Some("admin/app"))
    );
}
