//! Approving and declining a blocked pipeline (engine.md §5.2).

use std::collections::BTreeMap;

use crate::app::pipelines::{Created, LifecycleError, Pipelines, generic_error};
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::user::User;
use crate::domain::workflow::{Step, Workflow};

impl Pipelines {
    /// Approves blocked pipeline `number`: `user` becomes its reviewer, its workflows are
    /// rebuilt from the stored configs and it is queued.
    ///
    /// # Errors
    /// [`LifecycleError::BadRequest`] unless it is blocked; store, forge and queue failures.
    pub async fn approve(&self, repo: &Repo, number: i64, user: &User) -> Result<Pipeline, LifecycleError> {
        let mut pipeline = self.pipeline(repo, number).await?;
        if pipeline.status != Status::Blocked {
            return Err(LifecycleError::BadRequest(format!(
                "cannot approve a pipeline with status {}",
                pipeline.status
            )));
        }
        let owner = self.owner(repo).await?;
        let store = &self.engine.store;
        let configs = store.pipeline_configs(pipeline.id).await?;
        let now = self.engine.clock.now();
        pipeline.status = Status::Pending;
        pipeline.reviewed_by = user.login.clone();
        pipeline.reviewed = now;
        pipeline.updated = now;
        store.update_pipeline(&pipeline).await?;
        // The blocked workflows are replaced by fresh ones with new step ids.
        store.delete_workflows(pipeline.id).await?;
        match self.build(&owner, repo, pipeline.clone(), &configs, &BTreeMap::new()).await? {
            Created::Pipeline(pipeline) => Ok(*pipeline),
            Created::Filtered => {
                pipeline.errors.push(generic_error("no workflow is left to run"));
                self.fail(repo, pipeline).await
            }
        }
    }

    /// Declines blocked pipeline `number`: it, its workflows and steps become `declined`, with
    /// `user` as reviewer.
    ///
    /// # Errors
    /// [`LifecycleError::Refused`] unless it is blocked (upstream answers 500); store failures.
    pub async fn decline(&self, repo: &Repo, number: i64, user: &User) -> Result<Pipeline, LifecycleError> {
        let mut pipeline = self.pipeline(repo, number).await?;
        if pipeline.status != Status::Blocked {
            return Err(LifecycleError::Refused(format!(
                "cannot decline a pipeline with status {}",
                pipeline.status
            )));
        }
        let store = &self.engine.store;
        let now = self.engine.clock.now();
        pipeline.status = Status::Declined;
        pipeline.reviewed_by = user.login.clone();
        pipeline.reviewed = now;
        pipeline.updated = now;
        store.update_pipeline(&pipeline).await?;
        for tree in store.list_workflows(pipeline.id).await? {
            store.update_workflow(&Workflow { state: Status::Declined, ..tree.workflow }).await?;
            for step in tree.steps {
                store.update_step(&Step { state: Status::Declined, ..step }).await?;
            }
        }
        let trees = self.publish(repo, &pipeline).await?;
        let owner = self.owner(repo).await?;
        self.report_status(&owner, repo, &pipeline, &trees).await;
        Ok(pipeline)
    }
}
