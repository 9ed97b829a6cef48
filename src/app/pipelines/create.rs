//! Creating a pipeline from a draft (upstream's `pipeline.Create`, engine.md §5.1): skip-ci,
//! approval gating, config files from the forge and the config extensions, compile, workflows and steps, then start.

use std::collections::BTreeMap;

use crate::app::pipelines::{LifecycleError, Pipelines, generic_error};
use crate::app::version;
use crate::domain::config::Config;
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::{Pipeline, message_skips_ci};
use crate::domain::repo::{ApprovalRequest, Repo};
use crate::domain::status::Status;
use crate::domain::user::User;

/// What became of a pipeline request.
#[derive(Debug)]
pub enum Created {
    /// The pipeline, as it now stands: `pending` (queued), `blocked` (waiting for approval) or
    /// `error` (its config could not be read or compiled).
    Pipeline(Box<Pipeline>),
    /// Nothing to run (skip-ci, no config, every workflow filtered out); nothing is kept.
    Filtered,
}

impl Pipelines {
    /// Creates a pipeline of `repo` from `draft` (event, commit, branch, ref, message, author,
    /// variables, ...): stored with the next number, blocked when the repo wants approval,
    /// built from the config files at the commit, and queued.
    ///
    /// # Errors
    /// Store, forge (owner lookup) and queue failures. Bad configs are not errors: they end the
    /// pipeline in `error`.
    pub async fn create(&self, repo: &Repo, draft: Pipeline) -> Result<Created, LifecycleError> {
        if skips_ci(&draft) {
            return Ok(Created::Filtered);
        }
        let owner = self.owner(repo).await?;
        let approval =
            ApprovalRequest { event: draft.event, from_fork: draft.from_fork, author: &draft.author };
        let status = if repo.needs_approval(approval) { Status::Blocked } else { Status::Created };
        let now = self.engine.clock.now();
        let version = version::version();
        let draft = Pipeline {
            id: 0,
            number: 0,
            repo_id: repo.id,
            status,
            created: now,
            updated: now,
            version,
            ..draft
        };
        let pipeline = self.engine.store.create_pipeline(&draft).await?;
        let configs = match self.pipeline_configs(&owner, repo, &pipeline).await {
            Ok(configs) if configs.is_empty() => {
                self.engine.store.delete_pipeline(pipeline.id).await?;
                return Ok(Created::Filtered);
            }
            Ok(configs) => configs,
            Err(message) => {
                let errors = vec![generic_error(message)];
                let failed = self.fail(repo, Pipeline { errors, ..pipeline }).await?;
                return Ok(Created::Pipeline(Box::new(failed)));
            }
        };
        let configs = self.link_configs(pipeline.id, &configs).await?;
        self.build_or_drop(&owner, repo, pipeline, &configs, &BTreeMap::new()).await
    }

    /// [`Pipelines::build`], deleting the pipeline again when nothing is left to run.
    pub(super) async fn build_or_drop(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: Pipeline,
        configs: &[Config],
        env: &BTreeMap<String, String>,
    ) -> Result<Created, LifecycleError> {
        let id = pipeline.id;
        let created = self.build(owner, repo, pipeline, configs, env).await?;
        if matches!(created, Created::Filtered) {
            self.engine.store.delete_pipeline(id).await?;
        }
        Ok(created)
    }

    /// Compiles the stored pipeline's configs, stores its workflows and steps (blocked or
    /// pending as the pipeline is) and starts it unless blocked. Warnings are kept in `errors`;
    /// blocking findings end it in `error`. [`Created::Filtered`] leaves the pipeline to the
    /// caller.
    pub(super) async fn build(
        &self,
        owner: &User,
        repo: &Repo,
        mut pipeline: Pipeline,
        configs: &[Config],
        env: &BTreeMap<String, String>,
    ) -> Result<Created, LifecycleError> {
        let compiled = self.compile(owner, repo, &pipeline, configs, env).await?;
        pipeline.errors = compiled.errors();
        if compiled.is_blocked() {
            return Ok(Created::Pipeline(Box::new(self.fail(repo, pipeline).await?)));
        }
        if compiled.is_empty() {
            return Ok(Created::Filtered);
        }
        let blocked = pipeline.status == Status::Blocked;
        let state = if blocked { Status::Blocked } else { Status::Pending };
        let trees = self.engine.store.create_workflows(&compiled.trees(pipeline.id, state)).await?;
        if blocked {
            pipeline.updated = self.engine.clock.now();
            self.engine.store.update_pipeline(&pipeline).await?;
            let trees = self.publish(repo, &pipeline).await?;
            self.report_status(owner, repo, &pipeline, &trees).await;
            return Ok(Created::Pipeline(Box::new(pipeline)));
        }
        let pipeline = self.start(owner, repo, pipeline, &compiled, &trees).await?;
        Ok(Created::Pipeline(Box::new(pipeline)))
    }
}

/// `[skip ci]` and friends count only in push and pull request commit messages.
fn skips_ci(draft: &Pipeline) -> bool {
    (draft.event == WebhookEvent::Push || draft.event.is_pull_request()) && message_skips_ci(&draft.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_ci_counts_only_for_pushes_and_pull_requests() {
        let draft = |event| Pipeline { event, message: "wip [skip ci]".into(), ..Pipeline::default() };
        assert!(skips_ci(&draft(WebhookEvent::Push)));
        assert!(skips_ci(&draft(WebhookEvent::PullRequest)));
        assert!(!skips_ci(&draft(WebhookEvent::Cron)));
        assert!(!skips_ci(&draft(WebhookEvent::Tag)));
    }
}
