//! Approve, decline, cancel, restart and delete, with their permission checks.

use nuthatch::domain::repo::ApprovalMode;
use reqwest::Method;
use serde_json::{Value, json};

use super::{ONE_STEP, Project, tree};

/// A project whose every pipeline waits for approval, with pipeline 1 blocked.
async fn blocked() -> Project {
    let p = Project::new().await;
    p.set_repo(|r| r.require_approval = ApprovalMode::AllEvents).await;
    let sha = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    let resp = p.push_hook("0000000000000000000000000000000000000000", &sha).await;
    assert_eq!(resp.status(), 200);
    p
}

fn states(pipeline: &Value) -> Vec<String> {
    tree(pipeline)
        .into_iter()
        .flat_map(|(_, w, steps)| std::iter::once(w).chain(steps.into_iter().map(|(_, s)| s)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_pipeline_waits_unqueued_until_approved() {
    let p = blocked().await;
    let pipeline = p.pipeline(1).await;
    assert_eq!(pipeline["status"], "blocked");
    assert_eq!(states(&pipeline), ["blocked", "blocked", "blocked"]);
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 0);

    let resp = p.call(Method::POST, "/pipelines/1/approve").await;
    assert_eq!(resp.status(), 200);
    let approved: Value = resp.json().await.unwrap();
    assert_eq!(
        (approved["status"].as_str(), approved["reviewed_by"].as_str()),
        (Some("pending"), Some("admin"))
    );
    assert_eq!(states(&approved), ["pending", "pending", "pending"]);
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 1);

    let again = p.call(Method::POST, "/pipelines/1/approve").await;
    assert_eq!(again.status(), 400);
    assert_eq!(again.text().await.unwrap(), "cannot approve a pipeline with status pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_pipeline_is_declined_all_the_way_down() {
    let p = blocked().await;
    let resp = p.call(Method::POST, "/pipelines/1/decline").await;
    assert_eq!(resp.status(), 200);
    let declined: Value = resp.json().await.unwrap();
    assert_eq!(declined["status"], "declined");
    assert_eq!(states(&declined), ["declined", "declined", "declined"]);
    let again = p.call(Method::POST, "/pipelines/1/decline").await;
    assert_eq!(again.status(), 500, "upstream answers a server error");
}

#[tokio::test(flavor = "multi_thread")]
async fn canceling_a_pending_pipeline_empties_the_queue() {
    let p = Project::new().await;
    p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    assert_eq!(p.run_manual(json!({"branch": "main"})).await.status(), 200);
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 1);

    assert_eq!(
        p.app
            .call(Method::POST, &format!("/api/repos/{}/pipelines/1/cancel", p.repo_id), None)
            .await
            .status(),
        401
    );
    let resp = p.call(Method::POST, "/pipelines/1/cancel").await;
    assert_eq!(resp.status(), 204);
    let pipeline = p.pipeline(1).await;
    assert_eq!(pipeline["status"], "canceled");
    assert_eq!(pipeline["cancel_info"], json!({"canceled_by_user": "admin"}));
    assert_eq!(states(&pipeline), ["skipped", "canceled", "canceled"]);
    assert_eq!(p.queue().await["pending"].as_array().unwrap().len(), 0);

    let again = p.call(Method::POST, "/pipelines/1/cancel").await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.text().await.unwrap(),
        "Cannot cancel a non-running or non-pending or non-blocked pipeline"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_a_new_push_supersedes_the_pending_one_of_its_branch() {
    let p = Project::new().await;
    let repo: Value = p.call(Method::GET, "").await.json().await.unwrap();
    assert_eq!(
        repo["cancel_previous_pipeline_events"],
        json!(["push", "pull_request"]),
        "activation default"
    );
    let first = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "one");
    assert_eq!(p.push_hook("0000000000000000000000000000000000000000", &first).await.status(), 200);
    let second = p.commit(&[("a.txt", "a")], "two");
    assert_eq!(p.push_hook(&first, &second).await.status(), 200);
    let old = p.pipeline(1).await;
    assert_eq!(old["status"], "canceled");
    assert_eq!(old["cancel_info"], json!({"superseded_by": 2}));
    assert_eq!(p.pipeline(2).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_is_a_new_pipeline_with_its_parent() {
    let p = Project::new().await;
    p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    p.run_manual(json!({"branch": "main"})).await;
    let resp = p.call(Method::POST, "/pipelines/1?GREETING=hi").await;
    assert_eq!(resp.status(), 200);
    let restarted: Value = resp.json().await.unwrap();
    assert_eq!((restarted["number"].as_i64(), restarted["parent"].as_i64()), (Some(2), Some(1)));
    assert_eq!(restarted["status"], "pending");
    assert_eq!(restarted["event"], "manual");
    assert_eq!(states(&restarted), ["pending", "pending", "pending"]);
    let configs: Value = p.call(Method::GET, "/pipelines/2/config").await.json().await.unwrap();
    assert_eq!(configs.as_array().unwrap().len(), 1);

    assert_eq!(p.call(Method::POST, "/pipelines/9").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_restart_needs_a_repo_that_allows_it() {
    let p = Project::new().await;
    let sha = p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    p.push_hook("0000000000000000000000000000000000000000", &sha).await;
    let deploy = "/pipelines/1?event=deploy&deploy_to=production";
    let refused = p.call(Method::POST, deploy).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.text().await.unwrap(), "repo does not allow deployments");

    p.set_repo(|r| r.allow_deploy = true).await;
    assert_eq!(p.call(Method::POST, "/pipelines/1?event=push").await.status(), 400);
    let resp = p.call(Method::POST, deploy).await;
    assert_eq!(resp.status(), 200);
    let deployed: Value = resp.json().await.unwrap();
    assert_eq!(
        (deployed["event"].as_str(), deployed["deploy_to"].as_str()),
        (Some("deployment"), Some("production"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_finished_pipelines_can_be_deleted_and_only_by_repo_admins() {
    let p = Project::new().await;
    p.commit(&[(".woodpecker.yaml", ONE_STEP)], "add pipeline");
    p.run_manual(json!({"branch": "main"})).await;
    let (_, _, other) = p.app.user("bob").await;
    let path = format!("/api/repos/{}/pipelines/1", p.repo_id);
    assert_eq!(p.app.call(Method::DELETE, &path, Some(&other)).await.status(), 403);

    let busy = p.call(Method::DELETE, "/pipelines/1").await;
    assert_eq!(busy.status(), 422);
    assert_eq!(busy.text().await.unwrap(), "Cannot delete pipeline with status pending");
    assert_eq!(p.call(Method::POST, "/pipelines/1/cancel").await.status(), 204);
    assert_eq!(p.call(Method::DELETE, "/pipelines/1").await.status(), 204);
    assert_eq!(p.call(Method::GET, "/pipelines/1").await.status(), 404);
}
