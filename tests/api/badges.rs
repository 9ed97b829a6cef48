//! Black-box tests of the badges operations: public SVG badges and CCTray documents, even for
//! private repos.

use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::status::Status;
use nuthatch::domain::workflow::{Step, Workflow};
use nuthatch::ports::store::WorkflowTree;
use reqwest::Method;

use crate::crons::{active_repo, send};
use crate::helpers::{TestApp, spawn_app};

/// Stores a pipeline of the repo; returns it with its number.
async fn pipeline(
    app: &TestApp,
    repo_id: i64,
    branch: &str,
    event: WebhookEvent,
    status: Status,
) -> Pipeline {
    let p = Pipeline {
        repo_id,
        branch: branch.into(),
        event,
        status,
        started: 1_767_225_600,
        ..Pipeline::default()
    };
    app.store.create_pipeline(&p).await.unwrap()
}

/// GETs a public path without credentials; returns status, content type and body.
async fn fetch(app: &TestApp, path: &str) -> (u16, String, String) {
    let resp = send(app, Method::GET, path, None, None).await;
    let status = resp.status().as_u16();
    let ctype =
        resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ctype, resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_badge_shows_the_newest_push_on_the_default_branch_to_anyone() {
    let app = spawn_app().await;
    let repo = active_repo(&app, "app").await;
    let path = format!("/api/badges/{repo}/status.svg");
    let (status, ctype, svg) = fetch(&app, &path).await;
    assert_eq!((status, ctype.as_str()), (200, "image/svg+xml"));
    assert!(
        svg.starts_with("<svg")
            && svg.contains(">pipeline<")
            && svg.contains(">none<")
            && svg.contains("#9f9f9f")
    );

    pipeline(&app, repo, "main", WebhookEvent::Push, Status::Failure).await;
    pipeline(&app, repo, "main", WebhookEvent::Push, Status::Success).await;
    pipeline(&app, repo, "main", WebhookEvent::Push, Status::Blocked).await;
    pipeline(&app, repo, "main", WebhookEvent::Tag, Status::Running).await;
    pipeline(&app, repo, "dev", WebhookEvent::Push, Status::Failure).await;
    let (_, _, svg) = fetch(&app, &path).await;
    assert!(svg.contains(">success<") && svg.contains("#44cc11"), "{svg}");
    let (_, _, svg) = fetch(&app, &format!("{path}?branch=dev")).await;
    assert!(svg.contains(">failure<") && svg.contains("#e05d44"), "{svg}");
    let (_, _, svg) = fetch(&app, &format!("{path}?events=push,tag")).await;
    assert!(svg.contains(">started<") && svg.contains("#dfb317"), "{svg}");
    let (_, _, by_name) = fetch(&app, "/api/badges/admin/app/status.svg?events=push,tag").await;
    assert_eq!(by_name, svg);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_or_step_badge_shows_its_own_state() {
    let app = spawn_app().await;
    let repo = active_repo(&app, "app").await;
    let p = pipeline(&app, repo, "main", WebhookEvent::Push, Status::Failure).await;
    let workflow = Workflow {
        pipeline_id: p.id,
        pid: 1,
        name: "build".into(),
        state: Status::Failure,
        ..Workflow::default()
    };
    let steps = ["compile", "test"].iter().zip([Status::Success, Status::Failure]).enumerate().map(
        |(i, (name, state))| {
            let uuid = format!("step-{i}");
            Step {
                uuid,
                pipeline_id: p.id,
                pid: i as i32 + 2,
                ppid: 1,
                name: (*name).into(),
                state,
                ..Step::default()
            }
        },
    );
    app.store.create_workflows(&[WorkflowTree { workflow, steps: steps.collect() }]).await.unwrap();

    let path = format!("/api/badges/{repo}/status.svg");
    let (_, _, svg) = fetch(&app, &format!("{path}?workflow=build")).await;
    assert!(svg.contains(">build<") && svg.contains(">failure<"), "{svg}");
    let (_, _, svg) = fetch(&app, &format!("{path}?workflow=build&step=compile")).await;
    assert!(svg.contains(">build: compile<") && svg.contains(">success<"), "{svg}");
    let (_, _, svg) = fetch(&app, &format!("{path}?workflow=deploy")).await;
    assert!(svg.contains(">deploy<") && svg.contains(">none<"), "{svg}");
    let (_, _, svg) = fetch(&app, &format!("{path}?workflow=%3Cscript%3E")).await;
    assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"), "{svg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cc_xml_describes_the_newest_pipeline_of_any_branch() {
    let app = spawn_app().await;
    let repo = active_repo(&app, "app").await;
    let path = format!("/api/badges/{repo}/cc.xml");
    assert_eq!(fetch(&app, &path).await.0, 404, "no pipeline yet");

    pipeline(&app, repo, "main", WebhookEvent::Push, Status::Success).await;
    let p = pipeline(&app, repo, "dev", WebhookEvent::PullRequest, Status::Killed).await;
    let (status, ctype, xml) = fetch(&app, &path).await;
    assert_eq!((status, ctype.as_str()), (200, "application/xml; charset=utf-8"));
    let expected = format!(
        r#"<Projects><Project name="admin/app" activity="Sleeping" lastBuildStatus="Exception" lastBuildLabel="{n}" lastBuildTime="2026-01-01T00:00:00Z" webUrl="http://localhost/repos/{repo}/pipeline/{n}"></Project></Projects>"#,
        n = p.number
    );
    assert_eq!(xml, expected);

    pipeline(&app, repo, "main", WebhookEvent::Push, Status::Running).await;
    let (_, _, xml) = fetch(&app, "/api/badges/admin/app/cc.xml").await;
    assert!(
        xml.contains(
            r#"activity="Building" lastBuildStatus="Unknown" lastBuildLabel="Unknown" lastBuildTime="""#
        ),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_repos_and_bad_queries_are_refused() {
    let app = spawn_app().await;
    let repo = active_repo(&app, "app").await;
    assert_eq!(fetch(&app, "/api/badges/999/status.svg").await.0, 404);
    assert_eq!(fetch(&app, "/api/badges/999/cc.xml").await.0, 404);
    assert_eq!(fetch(&app, "/api/badges/nobody/none/status.svg").await.0, 404);
    assert_eq!(fetch(&app, "/api/badges/abc/status.svg").await.0, 400);
    assert_eq!(fetch(&app, &format!("/api/badges/{repo}/status.svg?events=push,bogus")).await.0, 400);
}
