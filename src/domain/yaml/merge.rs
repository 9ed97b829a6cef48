//! YAML merge keys as Woodpecker applies them: `<<` map merges (explicit keys win,
//! earlier sources win) and the xyaml sequence-merge extension (`- <<: *list` splices
//! the aliased items into the enclosing list). Also enforces xyaml's depth limit and
//! go-yaml's unique keys, except directly under map-form `steps`/`services`/`clone`,
//! whose pairs upstream reads one by one (two containers with the same name).

use super::error::YamlError;
use super::node::{Key, Node, Value};

/// Deepest allowed node (document = 0, root collection = 1); deeper fails like xyaml.
pub const MAX_DEPTH: usize = 14;

/// Check the depth limit, then expand sequence and map merges bottom-up.
pub fn expand_merges(root: Node) -> Result<Node, YamlError> {
    check_depth(&root, 1)?;
    match root.value {
        Value::Map(entries) => Ok(Node { value: Value::Map(expand_map(entries, true)?), ..root }),
        _ => expand(root),
    }
}

/// Upstream decodes `steps`/`services`/`clone` maps pair by pair, so a `<<` directly
/// under them is a container literally named `<<`, not a merge.
fn is_container_list(k: &Key) -> bool {
    matches!(k.text.as_str(), "steps" | "services" | "clone")
}

/// go-yaml's message for a repeated key, pointing at the repetition.
fn check_unique(entries: &[(Key, Node)]) -> Result<(), YamlError> {
    for (i, (key, _)) in entries.iter().enumerate() {
        if is_merge_key(key) {
            continue;
        }
        if let Some((first, _)) = entries[..i].iter().find(|(k, _)| k.text == key.text) {
            let msg = format!("mapping key \"{}\" already defined at line {}", key.text, first.pos.line);
            return Err(YamlError::new(msg, Some(key.pos)));
        }
    }
    Ok(())
}

fn expand_list_level(node: Node) -> Result<Node, YamlError> {
    match node.value {
        Value::Map(entries) => {
            let entries =
                entries.into_iter().map(|(k, v)| Ok((k, expand(v)?))).collect::<Result<_, YamlError>>()?;
            Ok(Node { value: Value::Map(entries), ..node })
        }
        _ => expand(node),
    }
}

fn check_depth(node: &Node, depth: usize) -> Result<(), YamlError> {
    if depth > MAX_DEPTH {
        return Err(YamlError::new("max depth reached", Some(node.pos)));
    }
    match &node.value {
        Value::Seq(items) => items.iter().try_for_each(|n| check_depth(n, depth + 1)),
        Value::Map(m) => m.iter().try_for_each(|(_, v)| check_depth(v, depth + 1)),
        _ => Ok(()),
    }
}

fn is_merge_key(k: &Key) -> bool {
    k.text == "<<" && !k.quoted
}

fn expand(node: Node) -> Result<Node, YamlError> {
    let value = match node.value {
        Value::Seq(items) => Value::Seq(expand_seq(items)?),
        Value::Map(entries) => Value::Map(expand_map(entries, false)?),
        other => other,
    };
    Ok(Node { value, ..node })
}

/// The sequences a `- <<: ...` list item splices in, or `None` if it is not a sequence merge.
fn sequence_merge_sources(item: &Node) -> Result<Option<Vec<Node>>, YamlError> {
    let Value::Map(entries) = &item.value else { return Ok(None) };
    let [(key, value)] = entries.as_slice() else { return Ok(None) };
    if !is_merge_key(key) {
        return Ok(None);
    }
    let Value::Seq(inner) = &value.value else { return Ok(None) };
    if value.is_alias() {
        return Ok(Some(vec![value.clone()]));
    }
    let seq_aliases = inner.iter().filter(|n| n.is_alias() && matches!(n.value, Value::Seq(_))).count();
    if seq_aliases == 0 {
        return Ok(None);
    }
    if seq_aliases != inner.len() {
        return Err(YamlError::new(
            "sequence merge failed: can only merge sequence to sequence but got something else",
            Some(value.pos),
        ));
    }
    Ok(Some(inner.clone()))
}

fn expand_seq(items: Vec<Node>) -> Result<Vec<Node>, YamlError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match sequence_merge_sources(&item)? {
            Some(sources) => {
                for source in sources {
                    if let Value::Seq(spliced) = expand(source)?.value {
                        out.extend(spliced);
                    }
                }
            }
            None => out.push(expand(item)?),
        }
    }
    Ok(out)
}

/// Merge one mapping level; `root` marks the document's top level, whose container
/// lists keep a literal `<<` entry.
fn expand_map(entries: Vec<(Key, Node)>, root: bool) -> Result<Vec<(Key, Node)>, YamlError> {
    check_unique(&entries)?;
    let mut explicit: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Key, Node)> = Vec::new();
    for (key, value) in entries {
        let value = if root && is_container_list(&key) { expand_list_level(value)? } else { expand(value)? };
        if !is_merge_key(&key) {
            explicit.push((key, value));
            continue;
        }
        let sources = match value.value {
            Value::Map(m) => vec![m],
            Value::Seq(list) => list
                .into_iter()
                .map(|n| match n.value {
                    Value::Map(m) => Ok(m),
                    _ => Err(merge_value_error(n.pos)),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(merge_value_error(value.pos)),
        };
        for source in sources {
            for (k, v) in source {
                // Earlier merge sources win over later ones.
                if !merged.iter().any(|(mk, _)| mk.text == k.text) {
                    merged.push((k, v));
                }
            }
        }
    }
    // Explicit keys win over merged ones regardless of position.
    for (k, v) in merged {
        if !explicit.iter().any(|(ek, _)| ek.text == k.text) {
            explicit.push((k, v));
        }
    }
    Ok(explicit)
}

fn merge_value_error(pos: super::error::Pos) -> YamlError {
    YamlError::new("map merge requires map or sequence of maps as the value", Some(pos))
}
