//! Node tree -> typed [`Workflow`]. Lenient like go-yaml's non-strict decode: unknown
//! keys are ignored (the schema lint warns), scalars coerce into string fields, and every
//! type mismatch is collected as an error (they block the pipeline upstream).

use indexmap::IndexMap;

use super::error::YamlError;
use super::model::{
    Concurrency, Constraint, Container, Dependency, ListFilter, MatrixFilter, PathFilter, When, Workflow,
    Workspace,
};
use super::node::{Node, Value};

/// Decode a parsed document; all type errors are returned together.
pub fn decode_workflow(root: &Node) -> Result<Workflow, Vec<YamlError>> {
    let mut d = Decoder::default();
    let mut wf = Workflow::default();
    match &root.value {
        Value::Null => {}
        Value::Map(entries) => {
            for (key, v) in entries {
                match key.text.as_str() {
                    "when" => wf.when = d.when(v),
                    "workspace" => wf.workspace = d.workspace(v),
                    "clone" => wf.clone = d.container_list(v, "clone"),
                    "steps" => wf.steps = d.container_list(v, "step"),
                    "services" => wf.services = d.container_list(v, "service"),
                    "skip_clone" => wf.skip_clone = d.boolean(v),
                    "labels" => wf.labels = d.string_map(v),
                    "depends_on" => wf.depends_on = d.depends_on(v),
                    "runs_on" => {
                        wf.has_runs_on = true;
                        wf.runs_on = d.string_or_list(v);
                    }
                    "concurrency" => wf.concurrency = d.concurrency(v),
                    _ => {}
                }
            }
        }
        _ => d.mismatch(root, "types.Workflow"),
    }
    if d.errors.is_empty() { Ok(wf) } else { Err(d.errors) }
}

#[derive(Default)]
struct Decoder {
    errors: Vec<YamlError>,
}

impl Decoder {
    fn mismatch(&mut self, node: &Node, target: &str) {
        // go-yaml quotes the offending scalar: "cannot unmarshal !!str `x` into bool".
        let value = match &node.value {
            Value::Null | Value::Seq(_) | Value::Map(_) => String::new(),
            _ => format!(" `{}`", node.source_text().chars().take(40).collect::<String>()),
        };
        let msg = format!("line {}: cannot unmarshal {}{value} into {target}", node.pos.line, node.tag());
        self.errors.push(YamlError::new(msg, Some(node.pos)));
    }

    fn fail(&mut self, node: &Node, msg: impl Into<String>) {
        self.errors.push(YamlError::new(msg, Some(node.pos)));
    }

    fn string(&mut self, node: &Node) -> String {
        match node.scalar_text() {
            Some(s) => s,
            None => {
                self.mismatch(node, "string");
                String::new()
            }
        }
    }

    /// Go bool fields accept YAML 1.1 words (already resolved by the parser) and null.
    fn boolean(&mut self, node: &Node) -> bool {
        match &node.value {
            Value::Bool(b) => *b,
            Value::Null => false,
            _ => {
                self.mismatch(node, "bool");
                false
            }
        }
    }

    fn string_or_list(&mut self, node: &Node) -> Vec<String> {
        match &node.value {
            Value::Null => vec![],
            Value::Seq(items) => items.iter().map(|n| self.string(n)).collect(),
            Value::Map(_) => {
                self.mismatch(node, "[]string");
                vec![]
            }
            _ => vec![self.string(node)],
        }
    }

    /// Typed `[]string` fields: a list only.
    fn list(&mut self, node: &Node) -> Vec<String> {
        match &node.value {
            Value::Null => vec![],
            Value::Seq(items) => items.iter().map(|n| self.string(n)).collect(),
            _ => {
                self.mismatch(node, "[]string");
                vec![]
            }
        }
    }

    fn string_map(&mut self, node: &Node) -> IndexMap<String, String> {
        match &node.value {
            Value::Null => IndexMap::new(),
            Value::Map(m) => m.iter().map(|(k, v)| (k.text.clone(), self.string(v))).collect(),
            _ => {
                self.mismatch(node, "map[string]string");
                IndexMap::new()
            }
        }
    }

    fn any_map(&mut self, node: &Node) -> IndexMap<String, Node> {
        match &node.value {
            Value::Null => IndexMap::new(),
            Value::Map(m) => m.iter().map(|(k, v)| (k.text.clone(), v.untyped())).collect(),
            _ => {
                self.mismatch(node, "map[string]interface {}");
                IndexMap::new()
            }
        }
    }

    fn workspace(&mut self, node: &Node) -> Workspace {
        let mut ws = Workspace::default();
        match &node.value {
            Value::Null => {}
            Value::Map(m) => {
                for (k, v) in m {
                    match k.text.as_str() {
                        "base" => ws.base = self.string(v),
                        "path" => ws.path = self.string(v),
                        _ => {}
                    }
                }
            }
            _ => self.mismatch(node, "types.Workspace"),
        }
        ws
    }

    fn concurrency(&mut self, node: &Node) -> Option<Concurrency> {
        match &node.value {
            Value::Null => None,
            Value::Int(i) => Some(Concurrency { limit: *i, group: String::new() }),
            Value::Map(m) => {
                let mut c = Concurrency::default();
                for (k, v) in m {
                    match (k.text.as_str(), &v.value) {
                        ("limit", Value::Int(i)) => c.limit = *i,
                        ("limit", _) => self.mismatch(v, "int"),
                        ("group", _) => c.group = self.string(v),
                        _ => {}
                    }
                }
                Some(c)
            }
            _ => {
                self.mismatch(node, "types.Concurrency");
                None
            }
        }
    }

    fn depends_on(&mut self, node: &Node) -> Vec<Dependency> {
        let item = |d: &mut Decoder, n: &Node| -> Option<Dependency> {
            match &n.value {
                Value::Map(_) => {
                    let Some(name) = n.get("name") else {
                        d.fail(n, "dependency object requires a 'name' field");
                        return None;
                    };
                    let Value::Str(name) = &name.value else {
                        d.fail(n, "dependency 'name' must be a string");
                        return None;
                    };
                    let optional = match n.get("optional").map(|o| &o.value) {
                        None => false,
                        Some(Value::Bool(b)) if n.get("optional").is_some_and(Node::is_core_bool) => *b,
                        Some(_) => {
                            d.fail(n, "dependency 'optional' must be a boolean");
                            return None;
                        }
                    };
                    Some(Dependency { name: name.clone(), optional })
                }
                Value::Seq(_) => {
                    d.mismatch(n, "string");
                    None
                }
                _ => Some(Dependency { name: d.string(n), optional: false }),
            }
        };
        match &node.value {
            Value::Null => vec![],
            Value::Seq(items) => items.iter().filter_map(|n| item(self, n)).collect(),
            Value::Map(_) => {
                self.mismatch(node, "[]string");
                vec![]
            }
            _ => item(self, node).into_iter().collect(),
        }
    }

    fn container_list(&mut self, node: &Node, kind: &str) -> Vec<Container> {
        match &node.value {
            Value::Null => vec![],
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| {
                    let mut c = self.container(v);
                    if c.name.is_empty() {
                        c.name = k.text.clone();
                    }
                    c.pos = k.pos;
                    c
                })
                .collect(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut c = self.container(v);
                    if c.name.is_empty() {
                        c.name = format!("step-{i}");
                    }
                    c.pos = v.pos;
                    c
                })
                .collect(),
            _ => {
                self.fail(node, format!("yaml node type[{}] of {kind} list is not supported", node.tag()));
                vec![]
            }
        }
    }

    fn container(&mut self, node: &Node) -> Container {
        let mut c = Container { pos: node.pos, ..Container::default() };
        let entries = match &node.value {
            Value::Map(m) => m,
            Value::Null => return c,
            _ => {
                self.mismatch(node, "types.Container");
                return c;
            }
        };
        for (k, v) in entries {
            match k.text.as_str() {
                "name" => c.name = self.string(v),
                "image" => c.image = self.string(v),
                "pull" => c.pull = self.boolean(v),
                "commands" => c.commands = self.string_or_list(v),
                "entrypoint" => c.entrypoint = self.string_or_list(v),
                "directory" => c.directory = self.string(v),
                "settings" => c.settings = self.any_map(v),
                "environment" => c.environment = self.any_map(v),
                "depends_on" => c.depends_on = Some(self.depends_on(v)),
                "when" => c.when = self.when(v),
                "failure" => c.failure = self.string(v),
                "detach" => c.detach = self.boolean(v),
                "volumes" => c.volumes = self.list(v),
                "ports" => c.ports = self.list(v),
                "dns" => c.dns = self.string_or_list(v),
                "dns_search" => c.dns_search = self.string_or_list(v),
                "backend_options" => match &v.value {
                    Value::Map(_) => c.backend_options = Some(v.to_json()),
                    Value::Null => {}
                    _ => self.mismatch(v, "types.BackendOptions"),
                },
                "privileged" => c.privileged = self.boolean(v),
                "devices" => c.devices = self.list(v),
                "extra_hosts" => c.extra_hosts = self.list(v),
                "network_mode" => c.network_mode = self.string(v),
                "tmpfs" => c.tmpfs = self.list(v),
                _ => {}
            }
        }
        c
    }

    fn when(&mut self, node: &Node) -> When {
        match &node.value {
            Value::Null => When::default(),
            Value::Map(_) => When { items: vec![self.constraint(node)] },
            Value::Seq(items) => When { items: items.iter().map(|n| self.constraint(n)).collect() },
            _ => {
                self.mismatch(node, "constraint.When");
                When::default()
            }
        }
    }

    fn constraint(&mut self, node: &Node) -> Constraint {
        let mut c = Constraint::default();
        let entries = match &node.value {
            Value::Map(m) => m,
            Value::Null => return c,
            _ => {
                self.mismatch(node, "constraint.Constraint");
                return c;
            }
        };
        for (k, v) in entries {
            match k.text.as_str() {
                "event" => c.event = self.string_or_list(v),
                "branch" => c.branch = self.list_filter(v),
                "ref" => c.reference = self.list_filter(v),
                "repo" => c.repo = self.list_filter(v),
                "instance" => c.instance = self.list_filter(v),
                "platform" => c.platform = self.list_filter(v),
                "cron" => c.cron = self.list_filter(v),
                "status" => c.status = self.string_or_list(v),
                "matrix" => c.matrix = self.matrix_filter(v),
                "path" => c.path = self.path_filter(v),
                "evaluate" => c.evaluate = self.string(v),
                "local" => c.local = Some(self.boolean(v)),
                _ => {}
            }
        }
        c
    }

    fn list_filter(&mut self, node: &Node) -> ListFilter {
        match &node.value {
            Value::Map(m) => {
                let mut f = ListFilter::default();
                for (k, v) in m {
                    match k.text.as_str() {
                        "include" => f.include = self.string_or_list(v),
                        "exclude" => f.exclude = self.string_or_list(v),
                        _ => {}
                    }
                }
                f
            }
            _ => ListFilter { include: self.string_or_list(node), exclude: vec![] },
        }
    }

    fn path_filter(&mut self, node: &Node) -> PathFilter {
        match &node.value {
            Value::Map(m) => {
                let mut f = PathFilter::default();
                for (k, v) in m {
                    match k.text.as_str() {
                        "include" => f.include = self.string_or_list(v),
                        "exclude" => f.exclude = self.string_or_list(v),
                        "ignore_message" => f.ignore_message = self.string(v),
                        "on_empty" => f.on_empty = self.boolean(v) || v.is_null(),
                        _ => {}
                    }
                }
                f
            }
            _ => PathFilter { include: self.string_or_list(node), ..PathFilter::default() },
        }
    }

    fn matrix_filter(&mut self, node: &Node) -> MatrixFilter {
        let Value::Map(m) = &node.value else {
            if !node.is_null() {
                self.mismatch(node, "constraint.Map");
            }
            return MatrixFilter::default();
        };
        let has_include_exclude = m.iter().any(|(k, _)| k.text == "include" || k.text == "exclude");
        if has_include_exclude {
            let mut f = MatrixFilter::default();
            for (k, v) in m {
                match k.text.as_str() {
                    "include" => f.include = self.string_map(v),
                    "exclude" => f.exclude = self.string_map(v),
                    _ => {}
                }
            }
            f
        } else {
            MatrixFilter { include: self.string_map(node), exclude: IndexMap::new() }
        }
    }
}
