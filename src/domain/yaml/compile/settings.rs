//! Turning `settings` and `environment` values into env strings (upstream
//! `compiler/settings/params.go`), including `from_secret` resolution with the
//! secret's image and event restrictions.

use std::collections::BTreeMap;

use super::CompileError;
use super::image::match_dynamic;
use crate::domain::yaml::metadata::is_pull_event;
use crate::domain::yaml::node::{Node, Value, format_go_float};
use crate::domain::yaml::options::Secret;

/// Resolves `from_secret` for one step and remembers whether a secret was used.
pub struct SecretResolver<'a> {
    pub secrets: &'a [Secret],
    pub event: &'a str,
    pub step: &'a str,
    pub image: &'a str,
    pub is_plugin: bool,
    pub used: bool,
}

impl SecretResolver<'_> {
    fn resolve(&mut self, name: &str) -> Result<String, CompileError> {
        let secret = self
            .secrets
            .iter()
            .find(|s| same_lowercase(&s.name, name))
            .ok_or_else(|| CompileError(format!("secret \"{name}\" not found")))?;
        if !secret.images.is_empty() {
            if !self.is_plugin {
                return Err(CompileError(format!(
                    "secret \"{name}\" is only allowed to be used by plugins (a filter has been set on the secret). Note: Image filters do not work for normal steps"
                )));
            }
            if !match_dynamic(self.image, &secret.images) {
                return Err(CompileError(format!(
                    "secret \"{name}\" is not allowed to be used with image \"{}\" by step \"{}\"",
                    self.image, self.step
                )));
            }
        }
        let event = if is_pull_event(self.event) { "pull_request" } else { self.event };
        if !secret.events.is_empty() && !secret.events.iter().any(|e| e == event) {
            return Err(CompileError(format!(
                "secret \"{name}\" is not allowed to be used with pipeline event \"{}\"",
                self.event
            )));
        }
        self.used = true;
        Ok(secret.value.clone())
    }

    fn secret_of(&mut self, node: &Node) -> Result<Option<String>, CompileError> {
        match node.get("from_secret").map(|n| &n.value) {
            None => Ok(None),
            Some(Value::Str(name)) => self.resolve(name).map(Some),
            Some(_) => Err(CompileError("from_secret has to be a string".into())),
        }
    }
}

/// Whether `a` and `b` are equal in lower case; ASCII names compare without allocating.
fn same_lowercase(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// `dry-run`, `dry_Run` and `dry.run` all become `PLUGIN_DRY_RUN`.
pub fn plugin_key(key: &str) -> String {
    const PREFIX: &str = "PLUGIN_";
    let mut out = String::with_capacity(PREFIX.len() + key.len());
    out.push_str(PREFIX);
    // `str::to_uppercase` maps char by char too, so this equals it.
    for c in key.chars() {
        match c {
            '.' | '-' => out.push('_'),
            c if c.is_ascii() => out.push(c.to_ascii_uppercase()),
            c => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// Env text of a value; `None` for null (the entry is skipped).
pub fn param_value(node: &Node, secrets: &mut SecretResolver) -> Result<Option<String>, CompileError> {
    Ok(Some(match &node.value {
        Value::Null => return Ok(None),
        Value::Map(_) => match secrets.secret_of(node)? {
            Some(secret) => secret,
            None => go_json(&to_json(node, secrets)?),
        },
        Value::Seq(items) if items.iter().all(|n| !matches!(n.value, Value::Seq(_) | Value::Map(_))) => {
            let mut joined = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    joined.push(',');
                }
                joined.push_str(&scalar(item));
            }
            joined
        }
        Value::Seq(_) => go_json(&to_json(node, secrets)?),
        Value::Timestamp(t) => go_json(&serde_json::Value::String(rfc3339(t))),
        _ => scalar(node),
    }))
}

/// Resolved scalar text (ints decimal, floats like Go `%v`).
fn scalar(node: &Node) -> String {
    node.value.format_resolved()
}

/// JSON with secrets resolved anywhere and object keys sorted.
fn to_json(node: &Node, secrets: &mut SecretResolver) -> Result<serde_json::Value, CompileError> {
    use serde_json::Value as J;
    Ok(match &node.value {
        Value::Map(entries) => {
            if let Some(secret) = secrets.secret_of(node)? {
                return Ok(J::String(secret));
            }
            let mut sorted = BTreeMap::new();
            for (k, v) in entries {
                sorted.insert(k.text.clone(), to_json(v, secrets)?);
            }
            J::Object(sorted.into_iter().collect())
        }
        Value::Seq(items) => J::Array(items.iter().map(|n| to_json(n, secrets)).collect::<Result<_, _>>()?),
        Value::Timestamp(t) => J::String(rfc3339(t)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => J::from(*f as i64),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| J::String(format_go_float(*f)), J::Number)
        }
        _ => node.to_json(),
    })
}

/// Go's JSON form of a YAML time: a date alone becomes midnight UTC.
fn rfc3339(text: &str) -> String {
    if text.contains(['T', 't', ' ']) {
        return text.to_string();
    }
    let fields: Vec<String> = text.split('-').map(|f| format!("{f:0>2}")).collect();
    format!("{}T00:00:00Z", fields.join("-"))
}

/// Compact JSON with Go's HTML escaping (`<`, `>`, `&`, U+2028, U+2029).
fn go_json(value: &serde_json::Value) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    match serde::Serialize::serialize(value, &mut serializer) {
        // serde_json writes valid UTF-8 and the escapes are ASCII.
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// serde_json's compact output plus Go's HTML escapes. Those characters can only occur
/// inside strings, whose unescaped runs pass through `write_string_fragment`.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(['<', '>', '&', '\u{2028}', '\u{2029}']) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_json_and_names() {
        assert_eq!(plugin_key("dry-run.x_Y"), "PLUGIN_DRY_RUN_X_Y");
        assert_eq!(plugin_key("straße"), "PLUGIN_STRASSE");
        let value = serde_json::json!({"a": "<b>&\u{2028}\u{2029}\"", "n": [1, 2.5]});
        assert_eq!(go_json(&value), r#"{"a":"\u003cb\u003e\u0026\u2028\u2029\"","n":[1,2.5]}"#);
        assert!(same_lowercase("Token", "tOKEN"));
        assert!(same_lowercase("ÄRGER", "ärger"));
        assert!(!same_lowercase("token", "tokens"));
    }
}
