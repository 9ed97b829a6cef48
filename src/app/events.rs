//! Pipeline events: what live viewers (`/api/stream/events`) are told whenever a pipeline, one of
//! its workflows or steps changes (engine.md §4.1).

use poem_openapi::types::ToJSON;

use crate::adapters::http::dto::pipeline::{PipelineDto, WorkflowDto};
use crate::adapters::http::dto::repo::RepoDto;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::ports::pubsub::{Event, PubSub};
use crate::ports::store::WorkflowTree;

/// The event body clients read: `{"repo": <repo>, "pipeline": <pipeline with its workflows>}`.
pub fn pipeline_event(repo: &Repo, pipeline: &Pipeline, workflows: &[WorkflowTree]) -> Event {
    let mut dto = PipelineDto::from(pipeline);
    dto.workflows = workflows.iter().map(|t| WorkflowDto::new(&t.workflow, &t.steps)).collect();
    let body = serde_json::json!({
        "repo": RepoDto::from(repo).to_json(),
        "pipeline": dto.to_json(),
    });
    Event { repo_id: repo.id, public: !repo.private, data: body.to_string().into_bytes() }
}

/// Publishes a pipeline event. Live viewing is best effort: a failure is logged, never returned,
/// so that a pub/sub outage cannot fail a pipeline.
pub async fn publish_pipeline(
    pubsub: &dyn PubSub,
    repo: &Repo,
    pipeline: &Pipeline,
    workflows: &[WorkflowTree],
) {
    if let Err(error) = pubsub.publish(pipeline_event(repo, pipeline, workflows)).await {
        tracing::warn!(%error, repo = repo.id, pipeline = pipeline.number, "cannot publish pipeline event");
    }
}
