//! Compiling a pipeline's config files with the pipeline language engine
//! ([`crate::domain::yaml::build`]), and turning the result into the workflow and step rows
//! that are stored under the pipeline (upstream's `SetPipelineStepsOnPipeline`).

use std::collections::BTreeMap;

use ring::rand::{SecureRandom, SystemRandom};

use crate::app::pipelines::configs::config_files;
use crate::app::pipelines::{LifecycleError, Pipelines};
use crate::domain::config::Config;
use crate::domain::pipeline::{Pipeline, PipelineError};
use crate::domain::repo::Repo;
use crate::domain::status::Status;
use crate::domain::user::User;
use crate::domain::workflow::{FailureMode, Step, StepType, Workflow};
use crate::domain::yaml::options::IdSeed;
use crate::domain::yaml::payload::Payload;
use crate::domain::yaml::{self, BuildOutcome, WorkflowOutcome, WorkflowState};
use crate::ports::store::WorkflowTree;

/// The compiler's verdict on a pipeline's files.
pub(super) struct Compiled {
    outcome: BuildOutcome,
}

impl Compiled {
    /// Findings as stored in `pipeline.errors` (warnings included).
    pub(super) fn errors(&self) -> Vec<PipelineError> {
        self.outcome.errors.iter().map(stored_error).collect()
    }

    /// Whether a finding stops the pipeline.
    pub(super) fn is_blocked(&self) -> bool {
        self.outcome.is_blocked()
    }

    /// Whether no workflow is left to run.
    pub(super) fn is_empty(&self) -> bool {
        self.outcome.runnable().next().is_none()
    }

    /// The workflows that run, with their payloads.
    pub(super) fn runnable(&self) -> impl Iterator<Item = (&WorkflowOutcome, &Payload)> {
        self.outcome.workflows.iter().filter_map(|w| match &w.state {
            WorkflowState::Compiled(payload) => Some((w, payload)),
            WorkflowState::Skipped(_) => None,
        })
    }

    /// The workflow and step rows of the runnable workflows, all in `state`: workflows keep the
    /// compiler's pids; steps are numbered after the highest workflow pid, in stage order.
    pub(super) fn trees(&self, pipeline_id: i64, state: Status) -> Vec<WorkflowTree> {
        let mut pid = self.runnable().map(|(w, _)| w.pid as i32).max().unwrap_or(0);
        self.runnable()
            .map(|(w, payload)| {
                let workflow = Workflow {
                    pipeline_id,
                    pid: w.pid as i32,
                    name: w.name.clone(),
                    state,
                    platform: w.platform.clone(),
                    environ: w.environ.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    axis_id: w.axis_id as i32,
                    ..Workflow::default()
                };
                let steps = payload
                    .pipeline
                    .iter()
                    .flat_map(|stage| &stage.steps)
                    .map(|s| {
                        pid += 1;
                        Step {
                            uuid: s.uuid.clone(),
                            pipeline_id,
                            pid,
                            ppid: workflow.pid,
                            name: s.name.clone(),
                            state,
                            failure: failure_mode(&s.failure),
                            step_type: step_type(&s.kind),
                            ..Step::default()
                        }
                    })
                    .collect();
                WorkflowTree { workflow, steps }
            })
            .collect()
    }
}

impl Pipelines {
    /// Compiles `configs` for `pipeline` with the repo's secrets, registries and clone
    /// credentials; `env` are extra variables of this run only (restart parameters).
    pub(super) async fn compile(
        &self,
        owner: &User,
        repo: &Repo,
        pipeline: &Pipeline,
        configs: &[Config],
        env: &BTreeMap<String, String>,
    ) -> Result<Compiled, LifecycleError> {
        let metadata = self.metadata(repo, pipeline).await?;
        let mut opts = self.settings.build.clone();
        let stored_secrets = self.secrets(repo).await?;
        opts.secrets = self.with_extension_secrets(owner, repo, pipeline, stored_secrets).await;
        let stored_registries = self.registries(repo).await?;
        opts.registries = self.with_extension_registries(owner, repo, pipeline, stored_registries).await;
        opts.netrc = self.netrc(owner, repo).await?;
        opts.global_env.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
        opts.pipeline_variables = pipeline.variables.clone();
        opts.ids = IdSeed { timestamp_ms: self.engine.clock.now().max(0) as u64 * 1000, seed: random_seed() };
        let files = config_files(configs);
        // Compiling is CPU work (and fans out to spare cores): keep it off the async workers.
        let outcome = tokio::task::spawn_blocking(move || yaml::build(&files, &metadata, &opts))
            .await
            .map_err(|e| LifecycleError::Refused(format!("the pipeline compiler stopped: {e}")))?;
        Ok(Compiled { outcome })
    }
}

/// A fresh seed for the random part of step ULIDs.
fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    // Without OS randomness the ULIDs still differ by time; a zero seed is no hazard.
    let _ = SystemRandom::new().fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// A finding as `pipeline.errors` stores it: `{type, message, is_warning, data}`, where `data`
/// (`{file, field[, docs]}`) also carries the `line` and `column` the finding points at.
fn stored_error(e: &yaml::PipelineError) -> PipelineError {
    let kind = serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_owned));
    let mut data = serde_json::to_value(&e.data).unwrap_or_default();
    if let (Some(object), Some(pos)) = (data.as_object_mut(), e.pos) {
        object.insert("line".into(), pos.line.into());
        object.insert("column".into(), pos.col.into());
    }
    PipelineError {
        kind: kind.unwrap_or_else(|| "generic".into()),
        message: e.message.clone(),
        is_warning: e.is_warning,
        data,
    }
}

fn step_type(kind: &str) -> StepType {
    match kind {
        "clone" => StepType::Clone,
        "service" => StepType::Service,
        "plugin" => StepType::Plugin,
        "cache" => StepType::Cache,
        _ => StepType::Commands,
    }
}

fn failure_mode(failure: &str) -> FailureMode {
    match failure {
        "ignore" => FailureMode::Ignore,
        "cancel" => FailureMode::Cancel,
        _ => FailureMode::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml::{BuildOptions, ConfigFile, ErrorType, Metadata, Pos};

    fn compiled(files: &[(&str, &str)]) -> Compiled {
        let files: Vec<ConfigFile> = files
            .iter()
            .map(|(n, d)| ConfigFile { name: n.to_string(), data: d.as_bytes().to_vec() })
            .collect();
        let mut metadata = Metadata::default();
        metadata.curr.event = "push".into();
        Compiled { outcome: yaml::build(&files, &metadata, &BuildOptions::default()) }
    }

    #[test]
    fn steps_are_numbered_after_the_workflows_and_point_at_theirs() {
        let c = compiled(&[
            (".woodpecker/a.yaml", "steps:\n  - name: one\n    image: alpine\n    commands: [true]\n"),
            (
                ".woodpecker/b.yaml",
                "skip_clone: true\nsteps:\n  - name: two\n    image: alpine\n    commands: [true]\n",
            ),
        ]);
        let trees = c.trees(9, Status::Pending);
        let rows: Vec<(i32, &str)> =
            trees.iter().map(|t| (t.workflow.pid, t.workflow.name.as_str())).collect();
        assert_eq!(rows, [(1, "a"), (2, "b")]);
        let steps: Vec<(i32, i32, &str, StepType)> = trees
            .iter()
            .flat_map(|t| &t.steps)
            .map(|s| (s.pid, s.ppid, s.name.as_str(), s.step_type))
            .collect();
        assert_eq!(
            steps,
            [
                (3, 1, "clone", StepType::Clone),
                (4, 1, "one", StepType::Commands),
                (5, 2, "two", StepType::Commands)
            ]
        );
        assert!(
            trees.iter().flat_map(|t| &t.steps).all(|s| s.pipeline_id == 9 && s.state == Status::Pending)
        );
    }

    #[test]
    fn findings_keep_their_position_in_data() {
        let finding = yaml::PipelineError::new(ErrorType::Compiler, "ci", "", "bad", false)
            .at(Some(Pos { line: 6, col: 10 }));
        let stored = stored_error(&finding);
        assert_eq!(stored.kind, "compiler");
        assert_eq!(stored.data, serde_json::json!({"file": "ci", "field": "", "line": 6, "column": 10}));
    }

    #[test]
    fn step_kinds_and_failure_modes_map_to_their_rows() {
        assert_eq!(step_type("service"), StepType::Service);
        assert_eq!(failure_mode("ignore"), FailureMode::Ignore);
        assert_eq!(failure_mode(""), FailureMode::Fail);
    }
}
