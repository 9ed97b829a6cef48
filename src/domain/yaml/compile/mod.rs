//! Compiler: a parsed [`Workflow`] plus metadata and server options become the agent
//! [`Payload`] (upstream `compiler.go`): clone stage(s), one services stage, then the
//! steps, sequential or as DAG levels.

mod dag;
pub mod image;
mod settings;
mod step;
pub mod ulid;

use std::collections::BTreeMap;

use super::matrix::Axis;
use super::metadata::Metadata;
use super::model::{Container, Workflow};
use super::options::BuildOptions;
use super::payload::{Payload, SecretEntry, Stage};
use super::vars::Layers;
use super::when::{ExprEnv, MatchContext, RunOn};
use step::{Area, StepContext};
use ulid::UlidSource;

/// A compile failure message (upstream's compiler errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

/// A compile failure tied to a field such as `steps.build`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct FieldError {
    pub field: String,
    pub error: CompileError,
}

/// What the compiler needs besides the workflow.
pub struct CompileInput<'a> {
    pub metadata: &'a Metadata,
    pub axis: &'a Axis,
    pub opts: &'a BuildOptions,
    /// Compile-time `CI_*` variables of the pipeline, the same for all its workflows.
    pub ci_env: &'a BTreeMap<String, String>,
    /// The `CI_WORKFLOW_*` variables of this workflow, which complete `ci_env`.
    pub workflow_env: &'a BTreeMap<String, String>,
}

/// Compile one workflow. An empty `pipeline` means nothing runs (the caller drops it).
pub fn compile(wf: &Workflow, input: &CompileInput, ids: &mut UlidSource) -> Result<Payload, FieldError> {
    let prefix = format!("wp_{}_0", ids.next_id().to_lowercase());
    let default_name = format!("{prefix}_default");
    let proxy: BTreeMap<String, String> = step::proxy_vars(input.opts).into_iter().collect();
    let eval_vars = step_eval_env(input, &proxy);
    let eval_env = ExprEnv::new(&eval_vars);
    let match_ctx =
        MatchContext { metadata: input.metadata, axis: input.axis, env: &eval_env, container: true };
    let ctx = StepContext::new(wf, input, &default_name);
    let build =
        |c: &Container, area: Area, run_on: RunOn, ids: &mut UlidSource| ctx.step(c, area, run_on, ids);

    let mut stages: Vec<Stage> = Vec::new();
    if wf.clone.is_empty() && !wf.skip_clone && !input.opts.default_clone_image.is_empty() {
        let always = RunOn { success: true, failure: false };
        stages.push(Stage { steps: vec![build(&ctx.default_clone(), Area::DefaultClone, always, ids)?] });
    } else if !wf.skip_clone {
        for c in &wf.clone {
            if let Some(run_on) = run_on(c, "clone", &match_ctx)? {
                stages.push(Stage { steps: vec![build(c, Area::Clone, run_on, ids)?] });
            }
        }
    }
    let mut services = Vec::new();
    for c in &wf.services {
        if let Some(run_on) = run_on(c, "services", &match_ctx)? {
            services.push(build(c, Area::Service, run_on, ids)?);
        }
    }
    // Upstream may emit an empty services stage; the agent cannot handle an empty first
    // stage, so empty stages are never sent.
    if !services.is_empty() {
        stages.push(Stage { steps: services });
    }

    let mut survivors = Vec::new();
    for c in &wf.steps {
        if let Some(run_on) = run_on(c, "steps", &match_ctx)? {
            survivors.push((c, run_on));
        }
    }
    let all_names: Vec<&str> = wf.steps.iter().map(|c| c.name.as_str()).collect();
    let dag_steps: Vec<dag::DagStep> = survivors
        .iter()
        .map(|(c, _)| dag::DagStep { name: &c.name, depends_on: c.depends_on.as_deref() })
        .collect();
    let levels =
        dag::layout(&dag_steps, &all_names).map_err(|error| FieldError { field: "steps".into(), error })?;
    let mut compiled: Vec<Option<super::payload::Step>> = Vec::with_capacity(survivors.len());
    for (c, run_on) in &survivors {
        compiled.push(Some(build(c, Area::Step, *run_on, ids)?));
    }
    for level in levels {
        let steps = level.into_iter().filter_map(|i| compiled[i].take()).collect();
        stages.push(Stage { steps });
    }

    let secrets = input
        .opts
        .secrets
        .iter()
        .map(|s| SecretEntry { name: s.name.clone(), value: s.value.clone() })
        .collect();
    Ok(Payload { pipeline: stages, network: default_name.clone(), volume: default_name, secrets })
}

/// The container's run-on flags, or `None` when its `when` filters it out.
fn run_on(c: &Container, area: &str, ctx: &MatchContext) -> Result<Option<RunOn>, FieldError> {
    c.when
        .run_on(ctx)
        .map_err(|e| FieldError { field: format!("{area}.{}", c.name), error: CompileError(e.to_string()) })
}

/// Variables for step-level `evaluate`: the built-ins win over manual variables, then
/// the axis, the proxy and the global env.
fn step_eval_env<'a>(input: &'a CompileInput, proxy: &'a BTreeMap<String, String>) -> Layers<'a> {
    let opts = input.opts;
    Layers(vec![
        input.workflow_env,
        input.ci_env,
        &opts.pipeline_variables,
        input.axis,
        proxy,
        &opts.global_env,
    ])
}
