//! Reads YAML text into a [`Node`] tree with positions, using serde-saphyr with merge
//! keys kept as ordinary keys (Woodpecker's merge rules are applied in `merge.rs`).
//! Budgets guard against alias bombs and huge documents.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::error::{Pos, YamlError};
use super::merge::expand_merges;
use super::node::{Key, Node, Value, is_timestamp};

/// Largest configuration file accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;
/// Most YAML nodes (after alias expansion) in one document.
const MAX_NODES: usize = 200_000;
/// Most alias uses in one document.
const MAX_ALIASES: usize = 10_000;

/// Parse the first YAML document of `src`, apply map and sequence merges and the depth limit.
/// An empty document gives a null node.
pub fn parse_yaml(src: &str) -> Result<Node, YamlError> {
    if src.len() > MAX_DOCUMENT_BYTES {
        return Err(YamlError::new(
            format!("document is too large: {} bytes (limit {MAX_DOCUMENT_BYTES})", src.len()),
            None,
        ));
    }
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    budget.max_events = MAX_NODES * 4;
    let options = serde_saphyr::options! {
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        // Duplicates are checked in `merge.rs`, which knows where upstream allows them.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        legacy_octal_numbers: true,
        with_snippet: false,
        budget: Some(budget),
    };
    let docs: Vec<Spanned<Raw>> = match serde_saphyr::from_multiple_with_options(src, options.clone()) {
        Ok(docs) => docs,
        Err(e) => {
            let pos = e.location().map(|l| pos_of(&l));
            // Like go-yaml, only the first document counts: errors after it are ignored.
            match second_document_offset(src) {
                Some(end) if pos.is_some_and(|p| line_offset(src, p.line) >= end) => {
                    return parse_yaml(&src[..end]);
                }
                _ => return Err(YamlError::new(short_message(&e.to_string()), pos)),
            }
        }
    };
    let Some(first) = docs.into_iter().next() else {
        return Ok(Node::synthetic(Value::Null));
    };
    expand_merges(into_node(first, src))
}

/// Byte offset of the line starting a second document (`---` or `...` after content).
fn second_document_offset(src: &str) -> Option<usize> {
    let mut offset = 0;
    let mut content = false;
    for line in src.split_inclusive('\n') {
        let marker = ["---", "..."].iter().any(|m| {
            line.strip_prefix(m).is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        });
        if marker && content {
            return Some(offset);
        }
        let trimmed = line.trim();
        content |= !marker && !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('%');
        offset += line.len();
    }
    None
}

/// Byte offset where 1-based `line` starts.
fn line_offset(src: &str, line: u32) -> usize {
    src.split_inclusive('\n').take(line.saturating_sub(1) as usize).map(str::len).sum()
}

/// serde-saphyr decorates messages with "error: line L column C: ..." and a trailing
/// " at line L, column C" (positions are reported separately); keep the reason, worded
/// like go-yaml where upstream users would recognise it.
fn short_message(full: &str) -> String {
    let first = full.lines().next().unwrap_or(full);
    let trimmed = first.strip_prefix("error: ").unwrap_or(first);
    if trimmed.contains("budget breached") {
        return "document exceeds the parser limits (too many nodes, aliases or events; alias bomb?)".into();
    }
    let reason = match trimmed.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => trimmed,
    };
    let reason = match reason.rfind(" at line ") {
        Some(i) if reason[i..].contains(", column ") => &reason[..i],
        _ => reason,
    };
    if let Some(rest) = reason.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(", set DuplicateKeyPolicy").next().unwrap_or(rest);
        return format!("mapping key \"{key}\" already defined");
    }
    reason.to_string()
}

fn pos_of(l: &Location) -> Pos {
    Pos { line: l.line() as u32, col: l.column() as u32 }
}

/// Byte range of a node's definition, when the parser knows it.
fn source_slice<'a>(src: &'a str, l: &Location) -> Option<&'a str> {
    let span = l.span();
    let start = span.byte_offset()? as usize;
    let end = start.checked_add(span.byte_len()? as usize)?;
    src.get(start..end)
}

fn into_node(spanned: Spanned<Raw>, src: &str) -> Node {
    let pos = pos_of(&spanned.referenced);
    let value = match spanned.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => {
            let plain = source_slice(src, &spanned.defined).is_some_and(|t| t.trim() == s);
            if plain && is_timestamp(&s) { Value::Timestamp(s) } else { Value::Str(s) }
        }
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|n| into_node(n, src)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let quoted = source_slice(src, &k.defined)
                        .is_some_and(|t| t.starts_with('"') || t.starts_with('\''));
                    let key = Key { text: k.value.0, pos: pos_of(&k.referenced), quoted };
                    (key, into_node(v, src))
                })
                .collect(),
        ),
    };
    let raw = match value {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null => {
            source_slice(src, &spanned.defined).map(|t| t.trim().to_string())
        }
        _ => None,
    };
    let source = source_slice(src, &spanned.defined);
    let single_line = source.is_some_and(|t| !t.trim_end().contains('\n'));
    Node { value, pos, raw, defined: pos_of(&spanned.defined), single_line }
}

/// Untyped YAML value as serde-saphyr resolves it.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<KeyText>, Spanned<Raw>)>),
}

/// A mapping key turned into text whatever its YAML type (Go converts keys to strings).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        Ok(KeyText(match raw {
            Raw::Null => "null".into(),
            Raw::Bool(b) => b.to_string(),
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => super::node::format_go_float(f),
            Raw::Str(s) => s,
            Raw::Seq(_) | Raw::Map(_) => return Err(de::Error::custom("mapping keys must be scalars")),
        }))
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
        Ok(i64::try_from(i).map_or(Raw::Float(i as f64), Raw::Int))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
        Ok(Raw::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::Str(s))
    }
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Raw::Map(entries))
    }
}
