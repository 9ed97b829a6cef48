//! Small builders of valid records, so that each behaviour states only what it is about.

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::user::User;
use nuthatch::domain::workflow::{Step, Workflow};
use nuthatch::ports::store::{PipelineStore, RepoStore, UserStore, WorkflowStore, WorkflowTree};

/// An active repo called `full_name` (`owner/name`).
pub fn repo(full_name: &str) -> Repo {
    let (owner, name) = full_name.split_once('/').unwrap();
    Repo {
        owner: owner.into(),
        name: name.into(),
        full_name: full_name.into(),
        forge_id: 1,
        forge_remote_id: format!("remote-{full_name}"),
        default_branch: "main".into(),
        timeout: 60,
        active: true,
        ..Repo::default()
    }
}

/// Stores an active repo called `full_name`.
pub async fn create_repo(store: &SqlStore, full_name: &str) -> Repo {
    store.create_repo(&repo(full_name)).await.unwrap()
}

/// Stores a user with this login.
pub async fn create_user(store: &SqlStore, login: &str) -> User {
    store.create_user(&User { forge_id: 1, login: login.into(), ..User::default() }).await.unwrap()
}

/// A push pipeline of the repo on `main`.
pub fn pipeline(repo_id: i64) -> Pipeline {
    Pipeline { repo_id, branch: "main".into(), event: WebhookEvent::Push, ..Pipeline::default() }
}

/// Stores a push pipeline of the repo on `main`.
pub async fn create_pipeline(store: &SqlStore, repo_id: i64) -> Pipeline {
    store.create_pipeline(&pipeline(repo_id)).await.unwrap()
}

/// A workflow with pid `pid` and one step per uuid (pids after the workflow's).
pub fn tree(pipeline_id: i64, pid: i32, uuids: &[&str]) -> WorkflowTree {
    let steps = uuids
        .iter()
        .zip(1..)
        .map(|(uuid, n)| Step {
            uuid: (*uuid).into(),
            pipeline_id,
            pid: pid * 100 + n,
            ppid: pid,
            name: format!("step-{uuid}"),
            ..Step::default()
        })
        .collect();
    WorkflowTree {
        workflow: Workflow { pipeline_id, pid, name: format!("wf-{pid}"), ..Workflow::default() },
        steps,
    }
}

/// Stores one workflow with one step of this uuid and returns the step.
pub async fn create_step(store: &SqlStore, pipeline_id: i64, uuid: &str) -> Step {
    let trees = store.create_workflows(&[tree(pipeline_id, 1, &[uuid])]).await.unwrap();
    trees[0].steps[0].clone()
}
