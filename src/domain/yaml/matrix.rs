//! Matrix expansion (upstream `matrix` package): an `include` list gives one axis per
//! entry; otherwise the Cartesian product over axis names sorted alphabetically, the
//! first name varying slowest, capped at 27 axes and 12 names per axis.

use indexmap::IndexMap;

use super::error::YamlError;
use super::node::{Node, Value};

/// One matrix combination: variable name -> value.
pub type Axis = IndexMap<String, String>;

/// Most axes the Cartesian form produces (extra combinations are dropped silently).
const MAX_AXES: usize = 27;
/// Most variable names assigned within one Cartesian axis.
const MAX_NAMES: usize = 12;

/// Axes of a parsed document's `matrix`; one empty axis when there is none.
pub fn axes(root: &Node) -> Result<Vec<Axis>, YamlError> {
    let Some(matrix) = root.get("matrix") else { return Ok(vec![Axis::new()]) };
    let entries = match &matrix.value {
        Value::Null => return Ok(vec![Axis::new()]),
        Value::Map(m) => m,
        _ => return Err(type_error(matrix, "matrix.Matrix")),
    };
    if let Some(include) = matrix.get("include") {
        let list = match &include.value {
            Value::Seq(items) => items,
            Value::Null => &Vec::new(),
            _ => return Err(type_error(include, "[]matrix.Axis")),
        };
        if !list.is_empty() {
            return list.iter().map(include_axis).collect();
        }
    }
    let mut names: Vec<(&str, Vec<String>)> = Vec::new();
    for (key, value) in entries.iter().filter(|(k, _)| k.text != "include") {
        let Value::Seq(items) = &value.value else {
            if value.is_null() {
                continue;
            }
            return Err(type_error(value, "[]string"));
        };
        let values = items
            .iter()
            .map(|n| n.scalar_text().ok_or_else(|| type_error(n, "string")))
            .collect::<Result<Vec<_>, _>>()?;
        if !values.is_empty() {
            names.push((key.text.as_str(), values));
        }
    }
    if names.is_empty() {
        return Ok(vec![Axis::new()]);
    }
    names.sort_by(|a, b| a.0.cmp(b.0));
    let total: usize = names
        .iter()
        .map(|(_, v)| v.len())
        .try_fold(1usize, |acc, n| acc.checked_mul(n))
        .unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for p in 0..total.min(MAX_AXES) {
        let mut axis = Axis::new();
        let mut stride = total;
        for (name, values) in names.iter().take(MAX_NAMES) {
            stride /= values.len();
            axis.insert((*name).to_string(), values[(p / stride) % values.len()].clone());
        }
        out.push(axis);
    }
    Ok(out)
}

fn include_axis(entry: &Node) -> Result<Axis, YamlError> {
    match &entry.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| Ok((k.text.clone(), v.scalar_text().ok_or_else(|| type_error(v, "string"))?)))
            .collect(),
        Value::Null => Ok(Axis::new()),
        _ => Err(type_error(entry, "matrix.Axis")),
    }
}

fn type_error(node: &Node, target: &str) -> YamlError {
    YamlError::new(
        format!("line {}: cannot unmarshal {} into {target}", node.pos.line, node.tag()),
        Some(node.pos),
    )
}
