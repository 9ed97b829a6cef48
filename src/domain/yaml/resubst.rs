//! Fast path for re-parsing a substituted document. `${...}` values never contain a
//! newline (multi-line values are inserted Go-quoted), so the substituted text has the
//! same lines as the raw text. When every changed line holds one single-line scalar
//! (`key: value` or `- value`) with an unchanged key, the raw tree is reused and only
//! those scalars (and their alias copies) are replaced. Anything else returns `None`
//! and the caller parses the whole text, so the result always equals a full parse.

use std::collections::HashMap;

use super::error::Pos;
use super::node::{Node, Value};
use super::parse::parse_yaml;

/// A raw document prepared for re-substitution: scalars indexed by line, and the
/// single-line parses already done (lines repeat across steps and matrix axes).
pub struct RawTree<'a> {
    doc: &'a Node,
    lines: Vec<&'a str>,
    /// Scalars sorted by where they are defined, each definition once.
    scalars: Vec<&'a Node>,
    parsed_lines: HashMap<String, Option<(Option<String>, Node)>>,
}

impl<'a> RawTree<'a> {
    pub fn new(doc: &'a Node, text: &'a str) -> Self {
        let mut scalars = Vec::new();
        collect_scalars(doc, &mut scalars);
        // Stable: of the copies of one definition (aliases), the first in document order stays.
        scalars.sort_by_key(|n| (n.defined.line, n.defined.col));
        scalars.dedup_by_key(|n| n.defined);
        RawTree { doc, lines: text.split('\n').collect(), scalars, parsed_lines: HashMap::new() }
    }

    /// The scalars defined on 1-based `line`.
    fn scalars_on(&self, line: u32) -> &[&'a Node] {
        let start = self.scalars.partition_point(|n| n.defined.line < line);
        let end = self.scalars.partition_point(|n| n.defined.line <= line);
        &self.scalars[start..end]
    }

    /// The document for `new_text` (the raw text after substitution), or `None` when a
    /// full parse is needed.
    pub fn substituted(&mut self, new_text: &str) -> Option<Node> {
        let new_lines: Vec<&str> = new_text.split('\n').collect();
        if new_lines.len() != self.lines.len() {
            return None;
        }
        let mut patches: HashMap<Pos, Node> = HashMap::new();
        for (i, (&old_line, &new_line)) in self.lines.iter().zip(&new_lines).enumerate() {
            if old_line == new_line {
                continue;
            }
            let (old_key, old_value) = cached_line_scalar(&mut self.parsed_lines, old_line)?;
            let (new_key, new_value) = cached_line_scalar(&mut self.parsed_lines, new_line)?;
            let [target] = self.scalars_on(i as u32 + 1) else { return None };
            let fits = old_key == new_key
                && target.single_line
                && target.value == old_value.value
                && after_indicator(old_line, target.defined.col);
            if !fits {
                return None;
            }
            patches.insert(target.defined, new_value);
        }
        Some(if patches.is_empty() { self.doc.clone() } else { patch(self.doc, &patches) })
    }
}

fn cached_line_scalar(
    cache: &mut HashMap<String, Option<(Option<String>, Node)>>,
    line: &str,
) -> Option<(Option<String>, Node)> {
    if let Some(cached) = cache.get(line) {
        return cached.clone();
    }
    let parsed = line_scalar(line);
    cache.insert(line.to_string(), parsed.clone());
    parsed
}

/// The substituted document built from `raw_doc` (see [`RawTree::substituted`]).
pub fn reuse_raw_tree(raw_doc: &Node, raw_text: &str, new_text: &str) -> Option<Node> {
    RawTree::new(raw_doc, raw_text).substituted(new_text)
}

/// The scalar at `col` follows `key:` or `- ` on its line, so it is not the content of a
/// block scalar (`|`, `>`) or a value on a line of its own.
fn after_indicator(line: &str, col: u32) -> bool {
    let before: String = line.chars().take(col.saturating_sub(1) as usize).collect();
    let before = before.trim_end();
    before.ends_with(':') || before.ends_with('-')
}

/// Every scalar of the tree, in document order.
fn collect_scalars<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| collect_scalars(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_scalars(v, out)),
        _ => out.push(node),
    }
}

/// A line read on its own: `(Some(key), value)` for `key: scalar`, `(None, value)` for a
/// bare scalar, after stripping indentation and `- ` markers. `None` if it is anything else.
fn line_scalar(line: &str) -> Option<(Option<String>, Node)> {
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix("- ") {
        rest = r.trim_start();
    }
    if rest.is_empty() || rest.starts_with('#') || rest.contains('*') {
        return None;
    }
    let doc = parse_yaml(rest).ok()?;
    match doc.value {
        Value::Map(mut entries) if entries.len() == 1 => {
            let (key, value) = entries.pop()?;
            is_scalar(&value).then_some((Some(key.text), value))
        }
        Value::Seq(_) | Value::Map(_) => None,
        _ => Some((None, doc)),
    }
}

fn is_scalar(n: &Node) -> bool {
    !matches!(n.value, Value::Seq(_) | Value::Map(_))
}

fn patch(node: &Node, patches: &HashMap<Pos, Node>) -> Node {
    match &node.value {
        Value::Seq(items) => Node {
            value: Value::Seq(items.iter().map(|n| patch(n, patches)).collect()),
            ..node.clone_shallow()
        },
        Value::Map(entries) => Node {
            value: Value::Map(entries.iter().map(|(k, v)| (k.clone(), patch(v, patches))).collect()),
            ..node.clone_shallow()
        },
        _ => match patches.get(&node.defined) {
            Some(new) => Node { value: new.value.clone(), raw: new.raw.clone(), ..node.clone() },
            None => node.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, new: &str) -> Option<Node> {
        let raw_doc = parse_yaml(raw).unwrap();
        let fast = reuse_raw_tree(&raw_doc, raw, new);
        if let Some(fast) = &fast {
            assert_eq!(fast.to_json(), parse_yaml(new).unwrap().to_json());
        }
        fast
    }

    #[test]
    fn reuses_tree_for_scalar_values() {
        let raw = "variables:\n  - &base\n    image: x\nsteps:\n  a:\n    <<: *base\n    image: golang:${GO}\n    commands:\n      - echo ${SHA:0:8}\n    pull: ${P}\n";
        let new = "variables:\n  - &base\n    image: x\nsteps:\n  a:\n    <<: *base\n    image: golang:1.22\n    commands:\n      - echo 01234567\n    pull: true\n";
        assert!(check(raw, new).is_some());
    }

    #[test]
    fn falls_back_for_structure_and_block_scalars() {
        assert!(check("a: ${K}\n", "a: {b: c}\n").is_none());
        assert!(check("${K}: x\n", "b: x\n").is_none());
        assert!(check("a: |-\n  echo ${X}\n", "a: |-\n  echo a # b\n").is_none());
        assert!(check("a: [x, \"${X}\"]\n", "a: [x, \"y\", z]\n").is_none());
    }
}
