//! The pipeline lifecycle over HTTP: pipelines created by webhooks, by hand and by crons,
//! their workflow trees and queue tasks, approval, cancel, restart and delete.
//!
//! # Layout
//! - [`Project`]: a server with an activated repo whose commits the tests push.
//! - `create`: what a new pipeline looks like; `actions`: approve, decline, cancel, restart,
//!   delete; `cron`: running crons now and on schedule.

mod actions;
mod create;
mod cron;

use std::path::{Path, PathBuf};

use nuthatch::domain::repo::Repo;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, temp_dir};

/// A server with one activated repo of the admin, and a clone of it to commit in.
pub struct Project {
    /// The server.
    pub app: TestApp,
    /// The admin's token.
    pub token: String,
    /// The repo's id in the server.
    pub repo_id: i64,
    /// The repo as the local forge created it (`clone_url` is its bare directory).
    pub forge_repo: Repo,
    work: PathBuf,
}

impl Project {
    /// A server with `admin/hello` activated.
    pub async fn new() -> Self {
        let app = spawn_app().await;
        let token = app.admin.token.clone();
        let forge_repo = app.local_forge().await.create_repo(&app.admin.login, "hello").await.unwrap();
        let path = format!("/api/repos?forge_remote_id={}", forge_repo.forge_remote_id);
        let resp = app.call(Method::POST, &path, Some(&token)).await;
        assert_eq!(resp.status(), 200, "activation");
        let repo_id = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let work = temp_dir("lifecycle-work");
        std::fs::create_dir_all(work.join("home")).unwrap();
        git(&work, &["clone", "--quiet", &forge_repo.clone_url, "tree"]);
        Self { app, token, repo_id, forge_repo, work }
    }

    /// Commits `files` with `message` and pushes to `main`; returns the commit.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        let tree = self.work.join("tree");
        for (name, content) in files {
            let path = tree.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        git(&tree, &["add", "-A"]);
        git(&tree, &["commit", "--quiet", "--allow-empty", "-m", message]);
        git(&tree, &["push", "--quiet", "origin", "HEAD:main"]);
        git(&tree, &["rev-parse", "HEAD"])
    }

    /// Sends the webhook the local forge's `post-receive` script would send for a push to
    /// `main` from `before` to `after`.
    pub async fn push_hook(&self, before: &str, after: &str) -> reqwest::Response {
        let path = crate::hook::hook_path(&self.forge_repo.clone_url);
        let body = crate::hook::push_body(&self.forge_repo.forge_remote_id, before, after);
        self.app.client.post(self.app.url(&path)).json(&body).send().await.unwrap()
    }

    /// Starts a manual pipeline on `main`.
    pub async fn run_manual(&self, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(&format!("/api/repos/{}/pipelines", self.repo_id)))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `method /api/repos/{id}{path}` as the admin.
    pub async fn call(&self, method: Method, path: &str) -> reqwest::Response {
        self.app.call(method, &format!("/api/repos/{}{path}", self.repo_id), Some(&self.token)).await
    }

    /// Pipeline `number` with its tree.
    pub async fn pipeline(&self, number: i64) -> Value {
        let resp = self.call(Method::GET, &format!("/pipelines/{number}")).await;
        assert_eq!(resp.status(), 200, "pipeline {number}");
        resp.json().await.unwrap()
    }

    /// The queue's snapshot.
    pub async fn queue(&self) -> Value {
        let resp = self.app.call(Method::GET, "/api/queue/info", Some(&self.token)).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// The repo as stored, changed by `change` and saved.
    pub async fn set_repo(&self, change: impl FnOnce(&mut Repo)) {
        let mut repo = self.app.store.get_repo(self.repo_id).await.unwrap();
        change(&mut repo);
        self.app.store.update_repo(&repo).await.unwrap();
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// A pipeline with one step.
pub const ONE_STEP: &str = "steps:\n  - name: build\n    image: alpine\n    commands: [echo hi]\n";

/// A name and a state.
pub type Named = (String, String);

/// The states of a pipeline's workflows, and of their steps, by name.
pub fn tree(pipeline: &Value) -> Vec<(String, String, Vec<Named>)> {
    pipeline["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let steps = w["children"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|s| {
                            (s["name"].as_str().unwrap().to_owned(), s["state"].as_str().unwrap().to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            (w["name"].as_str().unwrap().to_owned(), w["state"].as_str().unwrap().to_owned(), steps)
        })
        .collect()
}

/// git in `cwd`, with the HOME of the test's working directory.
fn git(cwd: &Path, args: &[&str]) -> String {
    let home = cwd.ancestors().find(|d| d.join("home").is_dir()).unwrap().join("home");
    crate::git::git(cwd, &home, args)
}
