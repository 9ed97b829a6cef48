//! Restarting a pipeline (engine.md §5.5, api.md §4.3): a copy with the next number, built from
//! the stored configs (through the config extensions again), optionally turned into a deployment.

use std::collections::BTreeMap;

use crate::app::pipelines::{Created, LifecycleError, Pipelines, generic_error};
use crate::app::version;
use crate::domain::event::WebhookEvent;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;

/// Names a restart may ask for to deploy (`deployment` upstream; `deploy` and `promote` are
/// the names older clients send).
const DEPLOY_EVENTS: [&str; 3] = ["deployment", "deploy", "promote"];

/// What a restart changes (the query of `POST /api/repos/{id}/pipelines/{number}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartOptions {
    /// `event`: turn the copy into a deployment.
    pub event: Option<String>,
    /// `deploy_to`: deployment target (with `event` only).
    pub deploy_to: Option<String>,
    /// `deploy_task`: deployment task.
    pub deploy_task: Option<String>,
    /// Every other query parameter: environment of this run only.
    pub env: BTreeMap<String, String>,
}

impl Pipelines {
    /// Restarts pipeline `number`: a new pipeline copied from it (parent = its number, reruns
    /// + 1, no errors, new times), built from its stored configs without approval.
    ///
    /// # Errors
    /// [`LifecycleError::NotFound`] for an unknown number; [`LifecycleError::BadRequest`] for
    /// a blocked pipeline, an unknown event, or a deployment of anything but a push, tag or
    /// release; [`LifecycleError::Forbidden`] for a deployment the repo does not allow; store,
    /// forge and queue failures.
    pub async fn restart(
        &self,
        repo: &Repo,
        number: i64,
        options: RestartOptions,
    ) -> Result<Created, LifecycleError> {
        let old = self.pipeline(repo, number).await?;
        if old.status == Status::Blocked {
            return Err(LifecycleError::BadRequest(format!(
                "cannot restart a pipeline with status {}",
                old.status
            )));
        }
        let now = self.engine.clock.now();
        let mut copy = Pipeline {
            id: 0,
            number: 0,
            parent: old.number,
            status: Status::Created,
            errors: Vec::new(),
            created: now,
            updated: now,
            started: 0,
            finished: 0,
            rerun_count: old.rerun_count + 1,
            version: version::version(),
            ..old.clone()
        };
        if let Some(task) = options.deploy_task {
            copy.deploy_task = task;
        }
        if let Some(event) = options.event {
            deployable(repo, &old, &event)?;
            copy.event = WebhookEvent::Deployment;
            if let Some(target) = options.deploy_to {
                copy.deploy_to = target;
            }
        }
        let owner = self.owner(repo).await?;
        let configs = self.engine.store.pipeline_configs(old.id).await?;
        let mut pipeline = self.engine.store.create_pipeline(&copy).await?;
        if configs.is_empty() {
            pipeline.errors.push(generic_error("pipeline definition not found"));
            return Ok(Created::Pipeline(Box::new(self.fail(repo, pipeline).await?)));
        }
        let configs = match self.restart_configs(&owner, repo, &pipeline, configs).await {
            Ok(configs) => configs,
            Err(message) => {
                pipeline.errors.push(generic_error(message));
                return Ok(Created::Pipeline(Box::new(self.fail(repo, pipeline).await?)));
            }
        };
        let configs = self.link_configs(pipeline.id, &configs).await?;
        self.build_or_drop(&owner, repo, pipeline, &configs, &options.env).await
    }
}

/// Whether `old` may be redeployed as `event` in `repo`.
fn deployable(repo: &Repo, old: &Pipeline, event: &str) -> Result<(), LifecycleError> {
    if !DEPLOY_EVENTS.contains(&event) {
        return Err(LifecycleError::BadRequest(format!("invalid webhook event '{event}'")));
    }
    if !matches!(old.event, WebhookEvent::Push | WebhookEvent::Tag | WebhookEvent::Release) {
        return Err(LifecycleError::BadRequest("can only deploy push, tag and release pipelines".into()));
    }
    if !repo.allow_deploy {
        return Err(LifecycleError::Forbidden("repo does not allow deployments".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_repos_deploy_pushes_tags_and_releases() {
        let allowed = Repo { allow_deploy: true, ..Repo::default() };
        let push = Pipeline { event: WebhookEvent::Push, ..Pipeline::default() };
        let cron = Pipeline { event: WebhookEvent::Cron, ..Pipeline::default() };
        assert!(deployable(&allowed, &push, "deploy").is_ok());
        assert!(deployable(&allowed, &push, "promote").is_ok());
        assert!(matches!(deployable(&allowed, &push, "push"), Err(LifecycleError::BadRequest(_))));
        assert!(matches!(deployable(&allowed, &cron, "deployment"), Err(LifecycleError::BadRequest(_))));
        assert!(matches!(
            deployable(&Repo::default(), &push, "deployment"),
            Err(LifecycleError::Forbidden(_))
        ));
    }
}
