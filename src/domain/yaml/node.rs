//! The YAML node tree the engine works on. Scalars keep their source text so that
//! typed string fields get the text as written (`1.10` stays `"1.10"`, like go-yaml),
//! while untyped positions (`settings`, `environment`) use the resolved value.

use super::error::Pos;

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Source text of a plain (unquoted) non-string scalar, e.g. `0755` or `1.10`.
    pub raw: Option<String>,
    /// Where the node is defined: differs from `pos` for alias copies (`*name`).
    pub defined: Pos,
    /// The node's source text lies on one line (scalars patched in `resubst.rs`).
    pub single_line: bool,
}

/// A mapping key with its position and whether it was quoted in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub pos: Pos,
    pub quoted: bool,
}

/// Resolved YAML value (YAML 1.2 core schema plus YAML 1.1 booleans, as resolved by the parser).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An unquoted timestamp-looking scalar (`2024-01-01`), which go-yaml resolves to a
    /// time: a type error in string fields, RFC 3339 JSON in untyped positions.
    Timestamp(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// A node without a source position (synthesized values).
    pub fn synthetic(value: Value) -> Node {
        Node { value, pos: Pos::default(), raw: None, defined: Pos::default(), single_line: false }
    }

    /// The entry for `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value for `key` in a mapping node.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k.text == key).map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The node's metadata with an empty value (children are rebuilt by the caller).
    pub fn clone_shallow(&self) -> Node {
        Node {
            value: Value::Null,
            pos: self.pos,
            raw: self.raw.clone(),
            defined: self.defined,
            single_line: self.single_line,
        }
    }

    /// True when the node is a copy made by an alias (`*name`).
    pub fn is_alias(&self) -> bool {
        self.defined != self.pos
    }

    /// Whether a bool was written in YAML 1.2 core spelling (`true`, `False`, ...).
    /// go-yaml v4 resolves only these as bools in untyped positions.
    pub fn is_core_bool(&self) -> bool {
        matches!(self.value, Value::Bool(_))
            && self
                .raw
                .as_deref()
                .is_none_or(|r| matches!(r, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"))
    }

    /// The node as an untyped position (`settings`, `environment`) sees it: YAML 1.1
    /// words such as `yes`/`off` stay strings.
    pub fn untyped(&self) -> Node {
        let value = match &self.value {
            Value::Bool(_) if !self.is_core_bool() => Value::Str(self.raw.clone().unwrap_or_default()),
            Value::Seq(items) => Value::Seq(items.iter().map(Node::untyped).collect()),
            Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), v.untyped())).collect()),
            other => other.clone(),
        };
        Node { value, ..self.clone_shallow() }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Text of a scalar as a Go string field would receive it; `None` for collections.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => Some(String::new()),
            Value::Seq(_) | Value::Map(_) | Value::Timestamp(_) => None,
            _ => Some(self.source_text()),
        }
    }

    /// A scalar's source text when known, else its Go-like text.
    pub fn source_text(&self) -> String {
        self.raw.clone().unwrap_or_else(|| self.value.format_resolved())
    }

    /// YAML tag of the node, as go-yaml names it in type errors.
    pub fn tag(&self) -> &'static str {
        match self.value {
            Value::Null => "!!null",
            Value::Bool(_) => "!!bool",
            Value::Int(_) => "!!int",
            Value::Float(_) => "!!float",
            Value::Str(_) => "!!str",
            Value::Timestamp(_) => "!!timestamp",
            Value::Seq(_) => "!!seq",
            Value::Map(_) => "!!map",
        }
    }

    /// Convert to JSON the way upstream's yaml-to-json conversion does
    /// (null/bool/int/float keep their type, everything else is a string).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) | Value::Timestamp(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.text.clone(), v.to_json())).collect()),
        }
    }
}

impl Value {
    /// Go-like text of a resolved scalar; collections give "".
    pub fn format_resolved(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_go_float(*f),
            Value::Str(s) | Value::Timestamp(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) => String::new(),
        }
    }
}

/// Whether a plain scalar looks like a YAML timestamp (`2024-01-01`, `2024-01-01T10:00:00Z`).
pub fn is_timestamp(text: &str) -> bool {
    let mut parts = text.splitn(2, ['T', 't', ' ']);
    let date = parts.next().unwrap_or_default();
    let fields: Vec<&str> = date.split('-').collect();
    let date_ok = matches!(fields.as_slice(), [y, m, d]
        if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len())
            && [y, m, d].iter().all(|f| f.bytes().all(|b| b.is_ascii_digit())));
    date_ok && parts.next().is_none_or(|time| time.trim_start().split(':').count() == 3)
}

/// Go's `%v` for float64: shortest digits, exponent form when the decimal exponent
/// is < -4 or >= 6 (`1e+06`, `1e-05`), otherwise plain (`1.2`, `123456`).
pub fn format_go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return "0".into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}
