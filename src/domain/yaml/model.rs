//! Typed workflow model, mirroring upstream's `types.Workflow` / `types.Container` and
//! the `constraint` package. Decoding from nodes lives in `decode.rs`.

use indexmap::IndexMap;

use super::error::Pos;
use super::node::Node;

/// One workflow file after substitution and parsing.
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    pub when: When,
    pub workspace: Workspace,
    pub clone: Vec<Container>,
    pub steps: Vec<Container>,
    pub services: Vec<Container>,
    pub skip_clone: bool,
    pub labels: IndexMap<String, String>,
    pub depends_on: Vec<Dependency>,
    pub runs_on: Vec<String>,
    /// True when the `runs_on` key is present (deprecated syntax).
    pub has_runs_on: bool,
    pub concurrency: Option<Concurrency>,
}

/// `workspace: {base, path}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspace {
    pub base: String,
    pub path: String,
}

/// `concurrency: N` or `{limit, group}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Concurrency {
    pub limit: i64,
    pub group: String,
}

/// A `depends_on` entry of a step or workflow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dependency {
    pub name: String,
    pub optional: bool,
}

/// A step, service or clone entry.
#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub pull: bool,
    pub commands: Vec<String>,
    pub entrypoint: Vec<String>,
    pub directory: String,
    pub settings: IndexMap<String, Node>,
    pub environment: IndexMap<String, Node>,
    /// `None` when absent; `Some(vec![])` for `depends_on: []` (switches to DAG mode).
    pub depends_on: Option<Vec<Dependency>>,
    pub when: When,
    pub failure: String,
    pub detach: bool,
    pub volumes: Vec<String>,
    pub ports: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub backend_options: Option<serde_json::Value>,
    pub privileged: bool,
    pub devices: Vec<String>,
    pub extra_hosts: Vec<String>,
    pub network_mode: String,
    pub tmpfs: Vec<String>,
    /// Position of the entry (map key or list item).
    pub pos: Pos,
}

impl Container {
    /// Upstream: a plugin has no commands, no entrypoint and no environment.
    pub fn is_plugin(&self) -> bool {
        self.commands.is_empty() && self.entrypoint.is_empty() && self.environment.is_empty()
    }
}

/// A `when` block: OR over its items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct When {
    pub items: Vec<Constraint>,
}

/// One `when` item: AND over the filters that are set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraint {
    pub event: Vec<String>,
    pub branch: ListFilter,
    pub reference: ListFilter,
    pub repo: ListFilter,
    pub instance: ListFilter,
    pub platform: ListFilter,
    pub cron: ListFilter,
    pub status: Vec<String>,
    pub matrix: MatrixFilter,
    pub path: PathFilter,
    pub evaluate: String,
    /// Only for local exec; kept for completeness.
    pub local: Option<bool>,
}

/// Include/exclude glob lists (`branch`, `ref`, `repo`, `instance`, `platform`, `cron`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// The `path` filter.
#[derive(Debug, Clone, PartialEq)]
pub struct PathFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub ignore_message: String,
    pub on_empty: bool,
}

impl Default for PathFilter {
    fn default() -> Self {
        PathFilter { include: vec![], exclude: vec![], ignore_message: String::new(), on_empty: true }
    }
}

impl PathFilter {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty() && self.ignore_message.is_empty()
    }
}

/// The `matrix` filter of a container `when`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatrixFilter {
    pub include: IndexMap<String, String>,
    pub exclude: IndexMap<String, String>,
}
