//! Drafts of pipelines nobody pushed: started by hand (`POST /api/repos/{id}/pipelines`) or by
//! a cron schedule (engine.md §7.1). Both run on the head of a branch.

use std::collections::BTreeMap;

use crate::app::pipelines::{Created, LifecycleError, Pipelines};
use crate::domain::cron::Cron;
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;

/// What a user asks for when starting a pipeline by hand (upstream's `PipelineOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualOptions {
    /// Branch to run on.
    pub branch: String,
    /// Optional message (`MANUAL: <message> @ <branch>`).
    pub message: String,
    /// Variables for the run's (non-plugin) steps.
    pub variables: BTreeMap<String, String>,
}

impl Pipelines {
    /// Starts a `manual` pipeline of `repo` on the head of a branch, for `user`.
    ///
    /// # Errors
    /// [`LifecycleError::Forge`] when the branch cannot be resolved; as [`Pipelines::create`].
    pub async fn run_manual(
        &self,
        repo: &Repo,
        user: &User,
        options: ManualOptions,
    ) -> Result<Created, LifecycleError> {
        let owner = self.owner(repo).await?;
        let commit = self.forge.branch_head(&owner, repo, &options.branch).await?;
        let message = if options.message.is_empty() {
            format!("MANUAL PIPELINE @ {}", options.branch)
        } else {
            format!("MANUAL: {} @ {}", options.message, options.branch)
        };
        let draft = Pipeline {
            event: WebhookEvent::Manual,
            commit,
            git_ref: format!("refs/heads/{}", options.branch),
            branch: options.branch,
            message,
            timestamp: self.engine.clock.now(),
            author: user.login.clone(),
            author_avatar: user.avatar_url.clone(),
            author_email: user.email.clone(),
            sender: user.login.clone(),
            variables: options.variables,
            ..Pipeline::default()
        };
        self.create(repo, draft).await
    }

    /// Starts a `cron` pipeline of `repo` for `cron`, on its branch (the default branch when it
    /// names none). `timestamp` is the cron's `next_exec` as the caller sees it.
    ///
    /// # Errors
    /// [`LifecycleError::Forge`] when the branch cannot be resolved; as [`Pipelines::create`].
    pub async fn run_cron(&self, repo: &Repo, cron: &Cron) -> Result<Created, LifecycleError> {
        let owner = self.owner(repo).await?;
        let branch = if cron.branch.is_empty() { repo.default_branch.clone() } else { cron.branch.clone() };
        let commit = self.forge.branch_head(&owner, repo, &branch).await?;
        let draft = Pipeline {
            event: WebhookEvent::Cron,
            commit,
            git_ref: format!("refs/heads/{branch}"),
            branch,
            message: cron.name.clone(),
            timestamp: cron.next_exec,
            sender: cron.name.clone(),
            cron: cron.name.clone(),
            variables: cron.variables.clone(),
            ..Pipeline::default()
        };
        self.create(repo, draft).await
    }
}
