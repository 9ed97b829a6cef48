//! Linter (upstream `linter/linter.go`): the rules of yaml.md §5.2 in upstream's order,
//! each finding a [`PipelineError`] with its source position when it can be located.

mod deprecation;
mod position;
mod rules;
mod schema;

use super::error::PipelineError;
use super::metadata::Trusted;
use super::model::Workflow;
use super::node::Node;
pub use position::locate;

/// Linter settings.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub trusted: Trusted,
    /// `Some` on the server (even empty): formerly privileged plugins are then errors.
    pub privileged_plugins: Option<Vec<String>>,
    /// Trusted clone images, including the default clone plugin.
    pub trusted_clone_images: Vec<String>,
}

/// What one lint run looks at.
pub struct LintInput<'a> {
    /// Name used in `data.file` and as the deprecation field prefix.
    pub file: &'a str,
    /// The substituted and decoded workflow.
    pub workflow: &'a Workflow,
    /// The substituted document (positions for workflow findings).
    pub document: &'a Node,
    /// The raw text, unsubstituted, for the schema, deprecation and bad-habit checks.
    pub raw_text: &'a str,
    /// The raw text parsed, if it parses.
    pub raw_document: Option<&'a Node>,
}

/// Run every rule; findings are in upstream's order.
pub fn lint(input: &LintInput, opts: &LintOptions) -> Vec<PipelineError> {
    let mut out = lint_workflow(input.file, input.workflow, input.document, opts);
    out.extend(lint_raw(input.file, input.raw_text, input.raw_document));
    out
}

/// Rules 1-8, which depend on the substituted workflow (so on the matrix axis).
pub fn lint_workflow(
    file: &str,
    workflow: &Workflow,
    document: &Node,
    opts: &LintOptions,
) -> Vec<PipelineError> {
    let mut out = rules::container_rules(file, workflow, opts);
    for e in &mut out {
        e.pos = locate(document, e.field());
    }
    out
}

/// Rules 9-11, which read only the raw text: the same for every matrix axis of a file.
pub fn lint_raw(file: &str, raw_text: &str, raw_document: Option<&Node>) -> Vec<PipelineError> {
    let mut out = raw_document.map(|raw| schema::check(raw, file)).unwrap_or_default();
    out.extend(deprecation::check(file, raw_text, raw_document));
    for e in &mut out {
        if e.pos.is_none() {
            e.pos = raw_document.and_then(|r| locate(r, e.field()));
        }
    }
    out
}

/// Lint one configuration text on its own (the CLI's view: no substitution, no
/// metadata). YAML and type errors are reported as blocking findings.
pub fn lint_config(file: &str, text: &str, opts: &LintOptions) -> Vec<PipelineError> {
    use super::decode::decode_workflow;
    use super::error::ErrorType;
    use super::parse::parse_yaml;

    let yaml_error = |e: super::error::YamlError| {
        PipelineError::new(ErrorType::Compiler, file, "", e.message, false).at(e.pos)
    };
    let document = match parse_yaml(text) {
        Ok(doc) => doc,
        Err(e) => return vec![yaml_error(e)],
    };
    let workflow = match decode_workflow(&document) {
        Ok(wf) => wf,
        Err(errors) => return errors.into_iter().map(yaml_error).collect(),
    };
    let input = LintInput {
        file,
        workflow: &workflow,
        document: &document,
        raw_text: text,
        raw_document: Some(&document),
    };
    lint(&input, opts)
}
