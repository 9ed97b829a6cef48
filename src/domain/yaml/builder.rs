//! The entry point the server calls when creating a pipeline (upstream
//! `builder.Build`): per file and matrix axis substitute, parse, lint, filter, compile;
//! then drop workflows whose required dependencies are gone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;

use super::compile::ulid::UlidSource;
use super::compile::{CompileInput, compile};
use super::decode::decode_workflow;
use super::env::{pipeline_environ, set_workflow_vars};
use super::error::{ErrorType, PipelineError, YamlError};
use super::lint::{LintOptions, lint_raw, lint_workflow, locate};
use super::matrix::{self, Axis};
use super::metadata::Metadata;
use super::model::{Concurrency, Dependency, Workflow};
use super::node::Node;
use super::options::BuildOptions;
use super::parse::parse_yaml;
use super::payload::Payload;
use super::prefetch::RawDocs;
use super::resubst::RawTree;
use super::subst::substitute_vars;
use super::vars::{Layers, Lookups, Recorded, same_lookups};
use super::when::{ExprEnv, MatchContext};
use super::workflows::{find_cycle, workflow_name};

/// Label keys with this prefix are reserved for the server.
const INTERNAL_LABEL_PREFIX: &str = "woodpecker-ci.org";

/// One configuration file: its repository path and contents.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// Result of building a pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct BuildOutcome {
    pub workflows: Vec<WorkflowOutcome>,
    /// Errors and warnings, as stored in `pipeline.errors`.
    pub errors: Vec<PipelineError>,
}

impl BuildOutcome {
    /// Any blocking finding: the pipeline must fail with status error.
    pub fn is_blocked(&self) -> bool {
        self.errors.iter().any(|e| !e.is_warning)
    }

    /// Workflows that will run.
    pub fn runnable(&self) -> impl Iterator<Item = &WorkflowOutcome> {
        self.workflows.iter().filter(|w| matches!(w.state, WorkflowState::Compiled(_)))
    }
}

/// One workflow (one file and matrix axis).
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowOutcome {
    /// Sequence number within the pipeline, from 1.
    pub pid: i64,
    pub name: String,
    pub file: String,
    /// 1..N when the file has several axes, else 0.
    pub axis_id: i64,
    pub environ: Axis,
    pub labels: BTreeMap<String, String>,
    pub depends_on: Vec<Dependency>,
    pub runs_on: Vec<String>,
    /// `labels.platform`, for agent matching.
    pub platform: String,
    pub concurrency: Option<Concurrency>,
    pub state: WorkflowState,
}

/// Whether a workflow runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowState {
    Compiled(Payload),
    Skipped(SkipReason),
}

/// Serialized size without keeping the bytes. A cheap upper bound is tried first, so
/// the exact count (a full serialization) only runs for payloads near the limit.
fn json_size_over(payload: &Payload, limit: usize) -> Option<usize> {
    if payload.size_bound() <= limit {
        return None;
    }
    Some(json_size(payload)).filter(|&size| size > limit)
}

fn json_size(payload: &Payload) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, payload) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// Why a workflow does not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Its `when` did not match.
    WhenNotMatched,
    /// Nothing left to run after filtering.
    NoStages,
    /// A required `depends_on` workflow does not run.
    MissingDependency(String),
    /// A blocking error stopped it.
    Error,
}

/// Build every workflow of a pipeline.
pub fn build(files: &[ConfigFile], metadata: &Metadata, opts: &BuildOptions) -> BuildOutcome {
    let mut sorted: Vec<&ConfigFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut b = Builder {
        metadata,
        opts,
        ids: UlidSource::new(opts.ids),
        errors: Vec::new(),
        seen: HashSet::new(),
        parsed: HashMap::new(),
        linted: Vec::new(),
        substitutions: Vec::new(),
        ci_env: Rc::new(pipeline_environ(metadata)),
        lint_opts: LintOptions {
            trusted: metadata.repo.trusted,
            privileged_plugins: Some(opts.privileged_plugins.clone()),
            trusted_clone_images: opts.trusted_clone_list(),
        },
    };
    let texts: Vec<Option<&str>> = sorted.iter().map(|f| std::str::from_utf8(&f.data).ok()).collect();
    // Parsing and the raw-text lint depend on the file alone, so they run ahead.
    let prepare = |i: usize, text: &str| {
        let doc = parse_yaml(text);
        let findings = lint_raw(&workflow_name(&sorted[i].name), text, doc.as_ref().ok());
        (doc, findings)
    };
    let mut workflows = Vec::new();
    RawDocs::with(&texts, &prepare, |raw_docs| {
        for (i, file) in sorted.iter().enumerate() {
            b.file(file, raw_docs.take(i), &mut workflows);
        }
    });
    b.resolve_dependencies(&mut workflows);
    BuildOutcome { workflows, errors: b.errors }
}

/// One configuration file as every matrix axis of it sees it.
#[derive(Clone, Copy)]
struct FileInput<'a> {
    name: &'a str,
    raw_text: &'a str,
    /// Findings of the raw-text rules, the same for every axis.
    raw_findings: &'a [PipelineError],
}

struct Builder<'a> {
    metadata: &'a Metadata,
    opts: &'a BuildOptions,
    ids: UlidSource,
    errors: Vec<PipelineError>,
    /// Findings already reported: matrix axes of one file repeat the same ones.
    seen: HashSet<PipelineError>,
    /// Parse results by substituted text: axes that substitute alike parse and decode once.
    parsed: HashMap<String, SharedParse>,
    /// Lint findings of the current file by parse result: they name the file, so they are
    /// shared between the axes of one file only.
    linted: Vec<(SharedParse, Vec<PipelineError>)>,
    /// Substitutions of the current file: the variables they read and the parse result.
    /// An axis that gives those variables the same values has the same text, so it is
    /// neither substituted nor hashed again.
    substitutions: Vec<(Lookups, SharedParse)>,
    /// The `CI_*` variables all workflows share.
    ci_env: Rc<BTreeMap<String, String>>,
    lint_opts: LintOptions,
}

/// A parse result shared by the workflows whose substituted text is the same.
type SharedParse = Rc<Result<Parsed, YamlError>>;

/// A substituted document and its decoded workflow (or the decode errors).
struct Parsed {
    doc: Node,
    workflow: Result<Workflow, Vec<YamlError>>,
}

impl Parsed {
    fn new(doc: Node) -> Parsed {
        let workflow = decode_workflow(&doc);
        Parsed { doc, workflow }
    }
}

impl Builder<'_> {
    fn report(&mut self, findings: Vec<PipelineError>) {
        for f in findings {
            if self.seen.insert(f.clone()) {
                self.errors.push(f);
            }
        }
    }

    fn yaml_error(&mut self, name: &str, kind: ErrorType, e: &YamlError) {
        self.report(vec![PipelineError::new(kind, name, "", e.message.clone(), false).at(e.pos)]);
    }

    /// `raw` is the parsed text of `file` and its raw-text findings, `None` when the
    /// text is not UTF-8.
    fn file(
        &mut self,
        file: &ConfigFile,
        raw: Option<(Result<Node, YamlError>, Vec<PipelineError>)>,
        out: &mut Vec<WorkflowOutcome>,
    ) {
        let name = workflow_name(&file.name);
        let (Ok(raw_text), Some((raw_doc, raw_findings))) = (std::str::from_utf8(&file.data), raw) else {
            self.report(vec![PipelineError::generic(&name, "configuration is not valid UTF-8")]);
            return;
        };
        let axes = match raw_doc.as_ref().map_err(Clone::clone).and_then(matrix::axes) {
            Ok(axes) => axes,
            Err(e) => {
                self.yaml_error(&name, ErrorType::Compiler, &e);
                return;
            }
        };
        let several = axes.len() > 1;
        self.linted.clear();
        self.substitutions.clear();
        let mut raw_tree = raw_doc.as_ref().ok().map(|doc| RawTree::new(doc, raw_text));
        let input = FileInput { name: &name, raw_text, raw_findings: &raw_findings };
        for (i, axis) in axes.into_iter().enumerate() {
            let pid = out.len() as i64 + 1;
            let axis_id = if several { i as i64 + 1 } else { 0 };
            let outcome = self.workflow(&input, raw_tree.as_mut(), pid, axis_id, axis);
            out.push(outcome);
        }
    }

    fn workflow(
        &mut self,
        file: &FileInput,
        mut raw_tree: Option<&mut RawTree>,
        pid: i64,
        axis_id: i64,
        axis: Axis,
    ) -> WorkflowOutcome {
        let FileInput { name, raw_text, raw_findings } = *file;
        let mut outcome = WorkflowOutcome {
            pid,
            name: name.to_string(),
            file: name.to_string(),
            axis_id,
            environ: axis.clone(),
            labels: BTreeMap::new(),
            depends_on: vec![],
            runs_on: vec![],
            platform: String::new(),
            concurrency: None,
            state: WorkflowState::Skipped(SkipReason::Error),
        };
        // Only the `CI_WORKFLOW_*` variables read the workflow part of the metadata.
        let metadata = self.metadata;
        let ci_env = Rc::clone(&self.ci_env);
        let mut workflow_env = BTreeMap::new();
        set_workflow_vars(&mut workflow_env, name, pid);
        // The axis overrides the built-ins, the global env only adds.
        let subst_env = Layers(vec![&axis, &workflow_env, ci_env.as_ref(), &self.opts.global_env]);
        let reused = self.substitutions.iter().find(|(lookups, _)| same_lookups(&subst_env, lookups));
        let parsed = match reused {
            Some((_, parsed)) => Rc::clone(parsed),
            None => {
                let recorded = Recorded::new(&subst_env);
                let text = match substitute_vars(raw_text, &recorded) {
                    Ok(t) => t,
                    Err(e) => {
                        self.report(vec![PipelineError::generic(name, e.to_string())]);
                        return outcome;
                    }
                };
                let parsed = Rc::clone(self.parsed.entry(text).or_insert_with_key(|t| {
                    let doc = raw_tree
                        .as_mut()
                        .and_then(|tree| tree.substituted(t))
                        .map_or_else(|| parse_yaml(t), Ok);
                    Rc::new(doc.map(Parsed::new))
                }));
                self.substitutions.push((recorded.into_lookups(), Rc::clone(&parsed)));
                parsed
            }
        };
        let (doc, wf) = match parsed.as_ref() {
            Ok(Parsed { doc, workflow: Ok(wf) }) => (doc, wf),
            Ok(Parsed { workflow: Err(errs), .. }) => {
                for e in errs {
                    self.yaml_error(name, ErrorType::Compiler, e);
                }
                return outcome;
            }
            Err(e) => {
                self.yaml_error(name, ErrorType::Compiler, e);
                return outcome;
            }
        };
        outcome.depends_on = wf.depends_on.clone();
        outcome.concurrency = wf.concurrency.clone().filter(|c| c.limit > 0);
        outcome.labels = self.labels(wf, metadata);
        outcome.platform = outcome.labels.get("platform").cloned().unwrap_or_default();

        let mut findings = self.lint_once(name, &parsed, wf, doc);
        findings.extend(raw_findings.iter().cloned());
        let blocked = findings.iter().any(|e| !e.is_warning);
        self.report(findings);
        if blocked {
            return outcome;
        }

        let expr_env = ExprEnv::new(&subst_env);
        let ctx = MatchContext { metadata, axis: &axis, env: &expr_env, container: false };
        let run_on = match wf.when.run_on(&ctx) {
            Ok(v) => v,
            Err(e) => {
                let pos = locate(doc, "when");
                self.report(vec![
                    PipelineError::new(ErrorType::Compiler, name, "when", e.to_string(), false).at(pos),
                ]);
                return outcome;
            }
        };
        outcome.runs_on = wf.runs_on.clone();
        let Some(run_on) = run_on else {
            outcome.state = WorkflowState::Skipped(SkipReason::WhenNotMatched);
            return outcome;
        };
        if run_on.failure {
            // Upstream checks "includes failure" twice, so `success` is added as well.
            outcome.runs_on.extend(["failure".to_string(), "success".to_string()]);
        }
        let input = CompileInput {
            metadata,
            axis: &axis,
            opts: self.opts,
            ci_env: &ci_env,
            workflow_env: &workflow_env,
        };
        outcome.state = match self.compile(name, wf, doc, &input, &outcome.labels) {
            Some(p) if p.pipeline.is_empty() => WorkflowState::Skipped(SkipReason::NoStages),
            Some(p) => WorkflowState::Compiled(p),
            None => WorkflowState::Skipped(SkipReason::Error),
        };
        outcome
    }

    /// The lint findings of a workflow of the current file, linted once per parse result.
    fn lint_once(
        &mut self,
        name: &str,
        parsed: &SharedParse,
        wf: &Workflow,
        doc: &Node,
    ) -> Vec<PipelineError> {
        if let Some((_, findings)) = self.linted.iter().find(|(p, _)| Rc::ptr_eq(p, parsed)) {
            return findings.clone();
        }
        let findings = lint_workflow(name, wf, doc, &self.lint_opts);
        self.linted.push((Rc::clone(parsed), findings.clone()));
        findings
    }

    fn compile(
        &mut self,
        name: &str,
        wf: &Workflow,
        doc: &Node,
        input: &CompileInput,
        labels: &BTreeMap<String, String>,
    ) -> Option<Payload> {
        let mut payload = match compile(wf, input, &mut self.ids) {
            Ok(p) => p,
            Err(e) => {
                let pos = locate(doc, &e.field);
                self.report(vec![
                    PipelineError::new(ErrorType::Compiler, name, &e.field, e.error.0, false).at(pos),
                ]);
                return None;
            }
        };
        // One copy shared by every step: the labels are the same for the whole workflow.
        let labels = Arc::new(labels.clone());
        for step in payload.pipeline.iter_mut().flat_map(|s| s.steps.iter_mut()) {
            step.org_id = input.metadata.repo.org_id;
            step.workflow_labels = Arc::clone(&labels);
        }
        if let Some(size) = json_size_over(&payload, self.opts.max_payload_bytes) {
            let msg = format!(
                "workflow payload is {size} bytes, more than the limit of {} bytes",
                self.opts.max_payload_bytes
            );
            self.report(vec![PipelineError::new(ErrorType::Compiler, name, "", msg, false)]);
            return None;
        }
        Some(payload)
    }

    /// YAML labels (or the server defaults) without reserved keys, plus internal labels.
    fn labels(&self, wf: &Workflow, m: &Metadata) -> BTreeMap<String, String> {
        let source: &IndexMap<String, String> =
            if wf.labels.is_empty() { &self.opts.default_labels } else { &wf.labels };
        let mut labels: BTreeMap<String, String> = source
            .iter()
            .filter(|(k, _)| !k.starts_with(INTERNAL_LABEL_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let internal = [
            ("forge-id", m.forge.id.to_string()),
            ("repo-forge-id", m.repo.remote_id.clone()),
            ("repo-id", m.repo.id.to_string()),
            ("repo-name", m.repo.name.clone()),
            ("repo-full-name", m.repo.full_name()),
            ("branch", m.repo.branch.clone()),
            ("org-id", m.repo.org_id.to_string()),
            ("commit-branch", m.curr.commit.branch.clone()),
            ("event", m.curr.event.clone()),
        ];
        for (k, v) in internal {
            labels.insert(format!("{INTERNAL_LABEL_PREFIX}/{k}"), v);
        }
        labels
    }

    /// Unknown names and cycles are errors; workflows whose required dependencies do not
    /// run are skipped, repeatedly, and missing optional ones are dropped.
    fn resolve_dependencies(&mut self, workflows: &mut [WorkflowOutcome]) {
        let known: Vec<String> = workflows.iter().map(|w| w.name.clone()).collect();
        for w in workflows.iter() {
            for d in w.depends_on.iter().filter(|d| !d.optional && !known.contains(&d.name)) {
                let msg = format!("workflow '{}' depends on unknown workflow '{}'", w.name, d.name);
                self.report(vec![PipelineError::new(ErrorType::Linter, &w.name, "depends_on", msg, false)]);
            }
        }
        let graph: Vec<(String, Vec<String>)> = workflows
            .iter()
            .map(|w| (w.name.clone(), w.depends_on.iter().map(|d| d.name.clone()).collect()))
            .collect();
        if let Some(cycle) = find_cycle(&graph) {
            let msg = format!("cycle detected: [{}]", cycle.join(" "));
            self.report(vec![PipelineError::new(ErrorType::Linter, &cycle[0], "depends_on", msg, false)]);
        }
        loop {
            let running: Vec<String> = workflows
                .iter()
                .filter(|w| matches!(w.state, WorkflowState::Compiled(_)))
                .map(|w| w.name.clone())
                .collect();
            let mut changed = false;
            for w in workflows.iter_mut().filter(|w| matches!(w.state, WorkflowState::Compiled(_))) {
                if let Some(d) = w.depends_on.iter().find(|d| !d.optional && !running.contains(&d.name)) {
                    w.state = WorkflowState::Skipped(SkipReason::MissingDependency(d.name.clone()));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let running: Vec<String> = workflows
            .iter()
            .filter(|w| matches!(w.state, WorkflowState::Compiled(_)))
            .map(|w| w.name.clone())
            .collect();
        for w in workflows.iter_mut() {
            w.depends_on.retain(|d| !d.optional || running.contains(&d.name));
        }
    }
}
