//! Evaluation of `when` blocks (upstream `constraint` package): items are OR-ed, the
//! filters inside one item are AND-ed; `status` never filters, it sets run-on flags.

use std::cell::RefCell;
use std::collections::HashMap;

use indexmap::IndexMap;

use super::expr::{ExprError, evaluate};
use super::glob::glob_match;
use super::metadata::{Metadata, is_pull_event};
use super::model::{Constraint, ListFilter, MatrixFilter, PathFilter, When};
use super::vars::Vars;

/// What filters are matched against.
#[derive(Clone, Copy)]
pub struct MatchContext<'a> {
    pub metadata: &'a Metadata,
    /// The matrix axis of this workflow.
    pub axis: &'a IndexMap<String, String>,
    /// Variables visible to `evaluate`.
    pub env: &'a ExprEnv<'a>,
    /// Container-level `when` (the `matrix` filter applies only there).
    pub container: bool,
}

/// The variables `evaluate` expressions see, and the results already computed against
/// them: the steps of a workflow often repeat an expression.
pub struct ExprEnv<'a> {
    vars: &'a dyn Vars,
    results: RefCell<HashMap<String, Result<bool, ExprError>>>,
}

impl<'a> ExprEnv<'a> {
    pub fn new(vars: &'a dyn Vars) -> Self {
        ExprEnv { vars, results: RefCell::default() }
    }

    fn evaluate(&self, source: &str) -> Result<bool, ExprError> {
        if let Some(result) = self.results.borrow().get(source) {
            return result.clone();
        }
        let result = evaluate(source, self.vars);
        self.results.borrow_mut().insert(source.to_string(), result.clone());
        result
    }
}

/// A failing `evaluate` expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not evaluate expression `{expression}`: {source}")]
pub struct WhenError {
    pub expression: String,
    pub source: ExprError,
}

/// Run-on flags of a matching `when` (2.3): `status` never filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOn {
    /// Empty `when`, or a matching item without `status` or listing `success`.
    pub success: bool,
    /// A matching item listing `failure`.
    pub failure: bool,
}

impl When {
    /// `Some(flags)` when any item matches (an empty `when` always matches), else `None`.
    /// Each item is evaluated once.
    pub fn run_on(&self, ctx: &MatchContext) -> Result<Option<RunOn>, WhenError> {
        if self.items.is_empty() {
            return Ok(Some(RunOn { success: true, failure: false }));
        }
        let mut run_on: Option<RunOn> = None;
        for item in &self.items {
            if item.matches(ctx)? {
                let flags = run_on.get_or_insert(RunOn { success: false, failure: false });
                flags.success |= item.status.is_empty() || item.status.iter().any(|s| s == "success");
                flags.failure |= item.status.iter().any(|s| s == "failure");
            }
        }
        Ok(run_on)
    }

    /// Whether some item has no `event` filter (the bad-habit lint).
    pub fn first_item_without_event(&self) -> Option<usize> {
        self.items.iter().position(|c| c.event.is_empty())
    }
}

impl Constraint {
    /// All set filters match.
    pub fn matches(&self, ctx: &MatchContext) -> Result<bool, WhenError> {
        let m = ctx.metadata;
        let event = m.curr.event.as_str();
        let commit = &m.curr.commit;
        let plain = (self.event.is_empty() || self.event.iter().any(|e| e == event))
            && (event == "tag" || self.branch.matches(&commit.branch))
            && self.reference.matches(&commit.reference)
            && (self.repo.is_empty() || self.repo.matches(&m.repo.full_name()))
            && self.instance.matches(&m.sys.host)
            && self.platform.matches(&m.sys.platform)
            && (event != "cron" || self.cron.matches(&m.curr.cron))
            && (!(event == "push" || is_pull_event(event))
                || self.path.matches(&commit.changed_files, &commit.message))
            && (!ctx.container || self.matrix.matches(ctx.axis));
        if !plain || self.evaluate.trim().is_empty() {
            return Ok(plain);
        }
        ctx.env
            .evaluate(&self.evaluate)
            .map_err(|source| WhenError { expression: self.evaluate.clone(), source })
    }
}

impl ListFilter {
    /// No include and no exclude pattern: everything passes.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Any exclude pattern fails the filter; otherwise any include (or no include) passes.
    pub fn matches(&self, value: &str) -> bool {
        if self.exclude.iter().any(|p| glob_match(p, value)) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|p| glob_match(p, value))
    }
}

impl PathFilter {
    /// Upstream's order: ignore message, empty change set, all excluded, none included.
    pub fn matches(&self, changed: &[String], message: &str) -> bool {
        if !self.ignore_message.is_empty()
            && message.to_lowercase().contains(&self.ignore_message.to_lowercase())
        {
            return true;
        }
        if self.is_empty() {
            return true;
        }
        if changed.is_empty() {
            return self.on_empty;
        }
        let any = |patterns: &[String], file: &str| patterns.iter().any(|p| glob_match(p, file));
        if !self.exclude.is_empty() && changed.iter().all(|f| any(&self.exclude, f)) {
            return false;
        }
        if !self.include.is_empty() && !changed.iter().any(|f| any(&self.include, f)) {
            return false;
        }
        true
    }
}

impl MatrixFilter {
    /// Include: every key glob-matches the axis value (missing = ""). Exclude: all pairs match.
    pub fn matches(&self, axis: &IndexMap<String, String>) -> bool {
        let pair =
            |(k, pattern): (&String, &String)| glob_match(pattern, axis.get(k).map_or("", String::as_str));
        if !self.exclude.is_empty() && self.exclude.iter().all(pair) {
            return false;
        }
        self.include.iter().all(pair)
    }
}
