//! `${...}` substitution over the raw YAML text with drone/envsubst's operators.
//! `$$` collapses to `$` everywhere; `$NAME` without braces stays as is; unknown names
//! expand to ""; values containing a newline are inserted Go-quoted so they stay one
//! YAML scalar.

use std::collections::BTreeMap;

use super::glob::glob_match;
use super::vars::Vars;

/// Syntax error in a `${...}` expression (blocks the pipeline upstream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstError {
    #[error("missing closing brace")]
    MissingBrace,
    #[error("bad substitution")]
    BadSubstitution,
    #[error("unable to parse variable name")]
    BadName,
}

/// Most nested `${}` levels inside operator arguments.
const MAX_NESTING: usize = 16;

/// Substitute every `${...}` in `text` using `env`.
pub fn substitute(text: &str, env: &BTreeMap<String, String>) -> Result<String, SubstError> {
    substitute_vars(text, env)
}

/// Substitute every `${...}` in `text` using variables from any source.
pub fn substitute_vars(text: &str, env: &dyn Vars) -> Result<String, SubstError> {
    substitute_at(text, env, 0)
}

fn substitute_at(text: &str, env: &dyn Vars, depth: usize) -> Result<String, SubstError> {
    if depth > MAX_NESTING {
        return Err(SubstError::BadSubstitution);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner_start) = after.strip_prefix('{') {
            let end = closing_brace(inner_start).ok_or(SubstError::MissingBrace)?;
            out.push_str(&expand(&inner_start[..end], env, depth)?);
            rest = &inner_start[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Byte index of the `}` closing an expression, skipping nested `${...}`.
fn closing_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn lookup(env: &dyn Vars, name: &str) -> String {
    let value = env.var(name).unwrap_or_default().to_string();
    if value.contains('\n') { go_quote(&value) } else { value }
}

fn expand(inner: &str, env: &dyn Vars, depth: usize) -> Result<String, SubstError> {
    if let Some(name) = inner.strip_prefix('#')
        && !name.is_empty()
        && name.chars().all(is_name_char)
    {
        return Ok(lookup(env, name).len().to_string());
    }
    let name_len: usize = inner.chars().take_while(|c| is_name_char(*c)).map(char::len_utf8).sum();
    if name_len == 0 {
        return Err(SubstError::BadName);
    }
    let (name, op) = inner.split_at(name_len);
    let value = lookup(env, name);
    let arg = |s: &str| substitute_at(s, env, depth + 1);
    let result = match op {
        "" => value,
        "^" => change_first(&value, true),
        "^^" => value.to_uppercase(),
        "," => change_first(&value, false),
        ",," => value.to_lowercase(),
        _ if op.starts_with("##") => trim_prefix(&value, &arg(&op[2..])?, true),
        _ if op.starts_with('#') => trim_prefix(&value, &arg(&op[1..])?, false),
        _ if op.starts_with("%%") => trim_suffix(&value, &arg(&op[2..])?, true),
        _ if op.starts_with('%') => trim_suffix(&value, &arg(&op[1..])?, false),
        _ if op.starts_with("//") => replace(&value, &arg(&op[2..])?, Replace::All),
        _ if op.starts_with("/#") => replace(&value, &arg(&op[2..])?, Replace::Prefix),
        _ if op.starts_with("/%") => replace(&value, &arg(&op[2..])?, Replace::Suffix),
        _ if op.starts_with('/') => replace(&value, &arg(&op[1..])?, Replace::First),
        _ if [":=", ":-", ":?", ":+"].iter().any(|p| op.starts_with(p)) => default(value, arg(&op[2..])?),
        _ if ["=", "-", "?", "+"].iter().any(|p| op.starts_with(p)) => default(value, arg(&op[1..])?),
        _ if op.starts_with(':') => substring(&value, &op[1..]),
        _ => return Err(SubstError::BadSubstitution),
    };
    Ok(result)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn default(value: String, fallback: String) -> String {
    if value.is_empty() { fallback } else { value }
}

fn change_first(value: &str, upper: bool) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `${v:n}` / `${v:n:len}` on bytes; unparsable arguments leave the value unchanged.
fn substring(value: &str, args: &str) -> String {
    let (offset, length) = match args.split_once(':') {
        Some((o, l)) => (o.trim(), Some(l.trim())),
        None => (args.trim(), None),
    };
    let Ok(offset) = offset.parse::<i64>() else { return value.to_string() };
    let bytes = value.as_bytes();
    let len = bytes.len() as i64;
    let start = if offset < 0 { (len + offset).max(0) } else { offset.min(len) };
    let end = match length.map(str::parse::<i64>) {
        None => len,
        Some(Ok(l)) => (start + l.max(0)).min(len),
        Some(Err(_)) => return value.to_string(),
    };
    String::from_utf8_lossy(&bytes[start as usize..end as usize]).into_owned()
}

/// Char-boundary byte offsets of `s`, including its end.
fn boundaries(s: &str) -> Vec<usize> {
    s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect()
}

fn trim_prefix(value: &str, pattern: &str, longest: bool) -> String {
    let mut cuts = boundaries(value);
    if longest {
        cuts.reverse();
    }
    cuts.into_iter()
        .find(|&i| glob_match(pattern, &value[..i]))
        .map_or_else(|| value.to_string(), |i| value[i..].to_string())
}

fn trim_suffix(value: &str, pattern: &str, longest: bool) -> String {
    let mut cuts = boundaries(value);
    if !longest {
        cuts.reverse();
    }
    cuts.into_iter()
        .find(|&i| glob_match(pattern, &value[i..]))
        .map_or_else(|| value.to_string(), |i| value[..i].to_string())
}

enum Replace {
    First,
    All,
    Prefix,
    Suffix,
}

/// Literal replacement `from/to` (drone treats the pattern as plain text).
fn replace(value: &str, arg: &str, mode: Replace) -> String {
    let (from, to) = arg.split_once('/').unwrap_or((arg, ""));
    if from.is_empty() {
        return value.to_string();
    }
    match mode {
        Replace::First => value.replacen(from, to, 1),
        Replace::All => value.replace(from, to),
        Replace::Prefix => value.strip_prefix(from).map_or_else(|| value.to_string(), |r| format!("{to}{r}")),
        Replace::Suffix => value.strip_suffix(from).map_or_else(|| value.to_string(), |r| format!("{r}{to}")),
    }
}

/// Go `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("SHA", "0123456789abcdef"), ("TAG", "v1.2.3"), ("NAME", "hello world"), ("MSG", "a\nb")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn operators() {
        let e = env();
        let cases = [
            ("${SHA:0:10}", "0123456789"),
            ("${SHA:-4}", "0123456789abcdef"),
            ("${SHA: -4}", "cdef"),
            ("${TAG##v}", "1.2.3"),
            ("${TAG%%.*}", "v1"),
            ("${TAG%.*}", "v1.2"),
            ("${TAG#*.}", "2.3"),
            ("${TAG##*.}", "3"),
            ("${#TAG}", "6"),
            ("${NAME^}", "Hello world"),
            ("${NAME^^}", "HELLO WORLD"),
            ("${NAME/o/0}", "hell0 world"),
            ("${NAME//o/0}", "hell0 w0rld"),
            ("${NAME/#hello/bye}", "bye world"),
            ("${NAME/%world/moon}", "hello moon"),
            ("${UNSET=def}", "def"),
            ("${UNSET:-${TAG}}", "v1.2.3"),
            ("${MSG}", "\"a\\nb\""),
            ("$$HOME and $${TAG} and $TAG", "$HOME and ${TAG} and $TAG"),
            ("${UNSET}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(substitute(input, &e).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn errors() {
        let e = env();
        assert_eq!(substitute("${TAG", &e), Err(SubstError::MissingBrace));
        assert_eq!(substitute("${}", &e), Err(SubstError::BadName));
        assert_eq!(substitute("${TAG@x}", &e), Err(SubstError::BadSubstitution));
    }
}
