//! Structural checks standing in for upstream's JSON-schema validation (rule 9): our own
//! checks of the main constraints of `woodpecker-schema.json`, reported as warnings with
//! gojsonschema-like messages and dotted field paths.

use crate::domain::yaml::error::{ErrorType, PipelineError};
use crate::domain::yaml::node::{Node, Value};

const TOP_LEVEL: &[&str] = &[
    "$schema",
    "variables",
    "clone",
    "skip_clone",
    "when",
    "workspace",
    "steps",
    "services",
    "labels",
    "depends_on",
    "runs_on",
    "matrix",
    "concurrency",
];
const COMMANDS_STEP: &[&str] = &[
    "name",
    "image",
    "pull",
    "commands",
    "entrypoint",
    "directory",
    "environment",
    "depends_on",
    "when",
    "failure",
    "detach",
    "volumes",
    "dns",
    "dns_search",
    "backend_options",
    "privileged",
];
const PLUGIN_STEP: &[&str] = &[
    "name",
    "image",
    "pull",
    "settings",
    "directory",
    "depends_on",
    "when",
    "failure",
    "detach",
    "volumes",
    "backend_options",
    "privileged",
];
const SERVICE: &[&str] = &[
    "name",
    "image",
    "pull",
    "commands",
    "entrypoint",
    "directory",
    "environment",
    "settings",
    "when",
    "failure",
    "volumes",
    "ports",
    "backend_options",
    "privileged",
];
const WHEN_ITEM: &[&str] = &[
    "event", "branch", "ref", "repo", "instance", "platform", "cron", "status", "matrix", "path", "evaluate",
];
const EVENTS: &[&str] = &[
    "push",
    "pull_request",
    "pull_request_closed",
    "pull_request_metadata",
    "tag",
    "release",
    "deployment",
    "cron",
    "manual",
];
const PATH_KEYS: &[&str] = &["include", "exclude", "ignore_message", "on_empty"];

struct Checker<'a> {
    file: &'a str,
    out: Vec<PipelineError>,
}

/// Schema warnings for a raw document.
pub fn check(root: &Node, file: &str) -> Vec<PipelineError> {
    let mut c = Checker { file, out: Vec::new() };
    let Value::Map(entries) = &root.value else { return c.out };
    for (key, value) in entries {
        let k = key.text.as_str();
        if !TOP_LEVEL.contains(&k) {
            c.warn("(root)", format!("Additional property {k} is not allowed"), Some(key.pos));
            continue;
        }
        match k {
            "steps" => c.containers(value, "steps", Kind::Step),
            "services" => c.containers(value, "services", Kind::Service),
            "clone" => c.clone_list(value),
            "when" => c.when(value, "when", false),
            "skip_clone" => c.expect(value, "skip_clone", "boolean", matches!(value.value, Value::Bool(_))),
            "labels" => c.labels(value),
            "concurrency" => c.concurrency(value),
            "matrix" => c.matrix(value),
            "runs_on" => c.expect(value, "runs_on", "array", matches!(value.value, Value::Seq(_))),
            _ => {}
        }
    }
    c.out
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Step,
    Service,
    Clone,
}

/// Findings of one schema branch for a container: unknown keys, the `failure` enum and,
/// for commands steps that are not detached, the need for `commands` or `entrypoint`.
fn branch_findings(
    node: &Node,
    field: &str,
    keys: &[&str],
    failures: &[&str],
    needs_commands: bool,
) -> Vec<(String, String, crate::domain::yaml::error::Pos)> {
    let Value::Map(entries) = &node.value else { return vec![] };
    let mut out = Vec::new();
    for (k, v) in entries {
        if !keys.contains(&k.text.as_str()) {
            out.push((field.to_string(), format!("Additional property {} is not allowed", k.text), k.pos));
        } else if k.text == "failure" && !failures.contains(&v.scalar_text().unwrap_or_default().as_str()) {
            let list = failures.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
            out.push((
                format!("{field}.failure"),
                format!("failure must be one of the following: {list}"),
                v.pos,
            ));
        }
    }
    let detached = node.get("detach").is_some_and(|d| d.value == Value::Bool(true));
    if needs_commands && !detached && node.get("commands").is_none() && node.get("entrypoint").is_none() {
        out.push((field.to_string(), "commands is required".into(), node.pos));
    }
    out
}

fn type_name(n: &Node) -> &'static str {
    match n.value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) | Value::Timestamp(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

impl Checker<'_> {
    fn warn(&mut self, field: &str, message: String, pos: Option<crate::domain::yaml::error::Pos>) {
        self.out.push(PipelineError::new(ErrorType::Linter, self.file, field, message, true).at(pos));
    }

    fn expect(&mut self, n: &Node, field: &str, expected: &str, ok: bool) {
        if !ok {
            self.warn(
                field,
                format!("Invalid type. Expected: {expected}, given: {}", type_name(n)),
                Some(n.pos),
            );
        }
    }

    fn containers(&mut self, list: &Node, area: &str, kind: Kind) {
        match &list.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    self.container(v, &format!("{area}.{}", k.text), kind);
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    if kind == Kind::Service && v.get("name").is_none() {
                        self.warn(&format!("{area}.{i}"), "name is required".into(), Some(v.pos));
                    }
                    self.container(v, &format!("{area}.{i}"), kind);
                }
            }
            _ => self.expect(list, area, "object", false),
        }
    }

    fn clone_list(&mut self, list: &Node) {
        match &list.value {
            Value::Map(entries) => {
                for (k, _) in entries.iter().filter(|(k, _)| k.text != "git") {
                    self.warn("clone", format!("Additional property {} is not allowed", k.text), Some(k.pos));
                }
            }
            Value::Seq(_) => self.containers(list, "clone", Kind::Clone),
            _ => self.expect(list, "clone", "object", false),
        }
    }

    fn container(&mut self, node: &Node, field: &str, kind: Kind) {
        let Value::Map(entries) = &node.value else {
            self.expect(node, field, "object", false);
            return;
        };
        if node.get("image").is_none() {
            self.warn(field, "image is required".into(), Some(node.pos));
        }
        let branch = match kind {
            Kind::Service => branch_findings(node, field, SERVICE, &["fail", "ignore"], false),
            // A step is anyOf [commands step, plugin step]: like gojsonschema, report the
            // branch with fewer findings (the commands step on a tie), nothing if one fits.
            Kind::Step | Kind::Clone => {
                let commands =
                    branch_findings(node, field, COMMANDS_STEP, &["fail", "ignore", "cancel"], true);
                let plugin = branch_findings(node, field, PLUGIN_STEP, &["fail", "ignore"], false);
                if plugin.len() < commands.len() { plugin } else { commands }
            }
        };
        for (f, message, pos) in branch {
            self.warn(&f, message, Some(pos));
        }
        for (k, v) in entries {
            let sub = format!("{field}.{}", k.text);
            match k.text.as_str() {
                "when" => self.when(v, &sub, true),
                "pull" | "detach" | "privileged" => {
                    self.expect(v, &sub, "boolean", matches!(v.value, Value::Bool(_)))
                }
                "environment" | "settings" | "backend_options" => {
                    self.expect(v, &sub, "object", matches!(v.value, Value::Map(_) | Value::Null))
                }
                _ => {}
            }
        }
    }

    fn when(&mut self, node: &Node, field: &str, container: bool) {
        let items: Vec<(String, &Node)> = match &node.value {
            Value::Map(_) => vec![(field.to_string(), node)],
            Value::Seq(items) => items.iter().enumerate().map(|(i, n)| (format!("{field}.{i}"), n)).collect(),
            _ => return self.expect(node, field, "object", node.is_null()),
        };
        for (item_field, item) in items {
            let Value::Map(entries) = &item.value else {
                self.expect(item, &item_field, "object", false);
                continue;
            };
            for (k, v) in entries {
                let key = k.text.as_str();
                let allowed = WHEN_ITEM.contains(&key) && (container || key != "matrix");
                if !allowed {
                    self.warn(&item_field, format!("Additional property {key} is not allowed"), Some(k.pos));
                    continue;
                }
                let sub = format!("{item_field}.{key}");
                match key {
                    "event" => self.enum_list(v, &sub, EVENTS),
                    "status" => self.enum_list(v, &sub, &["success", "failure"]),
                    "path" => {
                        if let Value::Map(m) = &v.value {
                            for (pk, _) in m.iter().filter(|(pk, _)| !PATH_KEYS.contains(&pk.text.as_str())) {
                                self.warn(
                                    &sub,
                                    format!("Additional property {} is not allowed", pk.text),
                                    Some(pk.pos),
                                );
                            }
                        }
                    }
                    "evaluate" => self.expect(v, &sub, "string", matches!(v.value, Value::Str(_))),
                    _ => {}
                }
            }
        }
    }

    /// A string or list of strings restricted to `allowed`.
    fn enum_list(&mut self, node: &Node, field: &str, allowed: &[&str]) {
        let values: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => return self.expect(node, field, "array", false),
            _ => vec![node],
        };
        for v in values {
            let text = v.scalar_text().unwrap_or_default();
            if !allowed.contains(&text.as_str()) {
                let list = allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
                let name = field.rsplit('.').next().unwrap_or(field);
                self.warn(field, format!("{name} must be one of the following: {list}"), Some(v.pos));
            }
        }
    }

    fn labels(&mut self, node: &Node) {
        let Value::Map(entries) = &node.value else { return self.expect(node, "labels", "object", false) };
        for (k, v) in entries {
            let scalar = !matches!(v.value, Value::Seq(_) | Value::Map(_));
            self.expect(v, &format!("labels.{}", k.text), "string", scalar);
        }
    }

    fn concurrency(&mut self, node: &Node) {
        match &node.value {
            Value::Int(i) if *i < 1 => {
                self.warn("concurrency", "Must be greater than or equal to 1".into(), Some(node.pos))
            }
            Value::Int(_) => {}
            Value::Map(entries) => {
                if node.get("limit").is_none() {
                    self.warn("concurrency", "limit is required".into(), Some(node.pos));
                }
                for (k, v) in entries {
                    match (k.text.as_str(), &v.value) {
                        ("limit", Value::Int(i)) if *i < 1 => self.warn(
                            "concurrency.limit",
                            "Must be greater than or equal to 1".into(),
                            Some(v.pos),
                        ),
                        ("limit", Value::Int(_)) | ("group", Value::Str(_)) => {}
                        ("limit", _) => self.expect(v, "concurrency.limit", "integer", false),
                        ("group", _) => self.expect(v, "concurrency.group", "string", false),
                        (other, _) => self.warn(
                            "concurrency",
                            format!("Additional property {other} is not allowed"),
                            Some(k.pos),
                        ),
                    }
                }
            }
            _ => self.warn(
                "concurrency",
                "Must validate one and only one schema (oneOf)".into(),
                Some(node.pos),
            ),
        }
    }

    fn matrix(&mut self, node: &Node) {
        let Value::Map(entries) = &node.value else { return self.expect(node, "matrix", "object", false) };
        for (k, v) in entries {
            let field = format!("matrix.{}", k.text);
            let Value::Seq(items) = &v.value else {
                self.expect(v, &field, "array", false);
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let item_field = format!("{field}.{i}");
                if k.text == "include" {
                    self.expect(item, &item_field, "object", matches!(item.value, Value::Map(_)));
                } else {
                    self.expect(
                        item,
                        &item_field,
                        "string",
                        !matches!(item.value, Value::Seq(_) | Value::Map(_)),
                    );
                }
            }
        }
    }
}
