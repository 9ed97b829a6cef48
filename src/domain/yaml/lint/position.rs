//! Finds the source position of a lint field such as `steps.build.depends_on` or
//! `steps.test.when[1]` in a node tree (container names resolve through map keys or
//! `name:` entries of list items).

use crate::domain::yaml::error::Pos;
use crate::domain::yaml::node::{Node, Value};

/// Position of `field` in `root`, as deep as the path can be followed.
pub fn locate(root: &Node, field: &str) -> Option<Pos> {
    if field.is_empty() || field == "(root)" {
        return None;
    }
    let mut node = root;
    let mut pos = None;
    for (name, index) in split_field(field) {
        let Some((key_pos, value)) = child(node, &name) else { break };
        pos = Some(key_pos);
        node = value;
        if let Some(i) = index {
            let Value::Seq(items) = &node.value else { break };
            let Some(item) = items.get(i) else { break };
            pos = Some(item.pos);
            node = item;
        }
    }
    pos
}

/// `a.b[1].c` -> [(a, None), (b, Some(1)), (c, None)].
fn split_field(field: &str) -> Vec<(String, Option<usize>)> {
    field
        .split('.')
        .map(|seg| match seg.split_once('[') {
            Some((name, rest)) => (name.to_string(), rest.trim_end_matches(']').parse().ok()),
            None => (seg.to_string(), None),
        })
        .collect()
}

fn child<'a>(node: &'a Node, name: &str) -> Option<(Pos, &'a Node)> {
    match &node.value {
        Value::Map(entries) => {
            entries.iter().find(|(k, _)| k.text == name).map(|(k, v)| (k.pos, v)).or_else(|| {
                entries
                    .iter()
                    .find(|(_, v)| v.get("name").and_then(Node::scalar_text).as_deref() == Some(name))
                    .map(|(k, v)| (k.pos, v))
            })
        }
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .find(|(i, item)| {
                item.get("name").and_then(Node::scalar_text).as_deref() == Some(name)
                    || (item.get("name").is_none() && format!("step-{i}") == name)
                    || i.to_string() == name
            })
            .map(|(_, item)| (item.pos, item)),
        _ => None,
    }
}
