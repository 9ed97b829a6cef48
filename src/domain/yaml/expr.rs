//! The `evaluate` expression language: the subset of expr-lang that Woodpecker configs
//! use. Variables are strings from the environment (undefined ones are nil), and the
//! result must be a boolean.

use super::vars::Vars;

/// Evaluation or syntax failure of an `evaluate` expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("syntax error: {0}")]
    Syntax(String),
    #[error("invalid operation: {0}")]
    Type(String),
    #[error("expected bool, but got {0}")]
    NotBool(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Nil,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Val>),
}

impl Val {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Nil => "nil",
            Val::Bool(_) => "bool",
            Val::Num(_) => "float",
            Val::Str(_) => "string",
            Val::List(_) => "array",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

/// Evaluate `source` against `env`.
pub fn evaluate(source: &str, env: &dyn Vars) -> Result<bool, ExprError> {
    let tokens = tokenize(source)?;
    let mut p = Parser { tokens, i: 0, env, depth: 0 };
    let v = p.or()?;
    if p.i != p.tokens.len() {
        return Err(ExprError::Syntax(format!("unexpected token {:?}", p.tokens[p.i])));
    }
    match v {
        Val::Bool(b) => Ok(b),
        other => Err(ExprError::NotBool(other.type_name())),
    }
}

const OPS: [&str; 16] =
    ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", "+", "-"];

fn tokenize(src: &str) -> Result<Vec<Tok>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' || c == '`' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err(ExprError::Syntax("literal not terminated".into()));
                };
                i += 1;
                match ch {
                    '\\' if c != '`' => {
                        let esc =
                            chars.get(i).copied().ok_or_else(|| ExprError::Syntax("bad escape".into()))?;
                        i += 1;
                        s.push(match esc {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                    ch if ch == c => break,
                    ch => s.push(ch),
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|&&c| c != '_').collect();
            let n = text.parse().map_err(|_| ExprError::Syntax(format!("bad number {text}")))?;
            out.push(Tok::Num(n));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let op = OPS
                .iter()
                .find(|op| rest.starts_with(**op))
                .ok_or_else(|| ExprError::Syntax(format!("unexpected character {c:?}")))?;
            i += op.chars().count();
            out.push(Tok::Op(op));
        }
    }
    Ok(out)
}

/// Deepest nesting of parentheses/unary operators accepted (guards the stack).
const MAX_NESTING: usize = 64;

struct Parser<'a> {
    tokens: Vec<Tok>,
    i: usize,
    env: &'a dyn Vars,
    depth: usize,
}

impl Parser<'_> {
    fn peek_is(&self, word: &str) -> bool {
        match self.tokens.get(self.i) {
            Some(Tok::Op(op)) => *op == word,
            Some(Tok::Ident(id)) => id == word,
            _ => false,
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        let hit = self.peek_is(word);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Val, ExprError> {
        let mut left = self.and()?;
        while self.eat("||") || self.eat("or") {
            let right = self.and()?;
            left = Val::Bool(truthy(&left, "||")? || truthy(&right, "||")?);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Val, ExprError> {
        let mut left = self.unary()?;
        while self.eat("&&") || self.eat("and") {
            let right = self.unary()?;
            left = Val::Bool(truthy(&left, "&&")? && truthy(&right, "&&")?);
        }
        Ok(left)
    }

    /// Every nested construct passes through here, so the depth guard sits here.
    fn unary(&mut self) -> Result<Val, ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ExprError::Syntax("expression nested too deeply".into()));
        }
        let result = if self.peek_is("!") || (self.peek_is("not") && !self.next_is("in")) {
            self.i += 1;
            self.unary().and_then(|v| Ok(Val::Bool(!truthy(&v, "!")?)))
        } else {
            self.comparison()
        };
        self.depth -= 1;
        result
    }

    fn next_is(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.i + 1), Some(Tok::Ident(id)) if id == word)
    }

    fn comparison(&mut self) -> Result<Val, ExprError> {
        let left = self.primary()?;
        let ops = ["==", "!=", "<=", ">=", "<", ">", "contains", "startsWith", "endsWith", "in", "matches"];
        for op in ops {
            if self.eat(op) {
                let right = self.primary()?;
                return compare(op, &left, &right).map(Val::Bool);
            }
        }
        if self.peek_is("not") && self.next_is("in") {
            self.i += 2;
            let right = self.primary()?;
            return Ok(Val::Bool(!compare("in", &left, &right)?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Val, ExprError> {
        let tok =
            self.tokens.get(self.i).cloned().ok_or_else(|| ExprError::Syntax("unexpected end".into()))?;
        self.i += 1;
        match tok {
            Tok::Str(s) => Ok(Val::Str(s)),
            Tok::Num(n) => Ok(Val::Num(n)),
            Tok::Op("-") => match self.unary()? {
                Val::Num(n) => Ok(Val::Num(-n)),
                other => Err(ExprError::Type(format!("-{}", other.type_name()))),
            },
            Tok::Op("(") => {
                let v = self.or()?;
                if !self.eat(")") {
                    return Err(ExprError::Syntax("missing )".into()));
                }
                Ok(v)
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.or()?);
                    if !self.eat(",") && !self.peek_is("]") {
                        return Err(ExprError::Syntax("expected , or ]".into()));
                    }
                }
                Ok(Val::List(items))
            }
            Tok::Ident(id) => Ok(match id.as_str() {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                "nil" => Val::Nil,
                _ => self.env.var(&id).map_or(Val::Nil, |v| Val::Str(v.to_string())),
            }),
            Tok::Op(op) => Err(ExprError::Syntax(format!("unexpected token {op}"))),
        }
    }
}

fn truthy(v: &Val, op: &str) -> Result<bool, ExprError> {
    match v {
        Val::Bool(b) => Ok(*b),
        other => Err(ExprError::Type(format!("{op} on {}", other.type_name()))),
    }
}

fn compare(op: &str, l: &Val, r: &Val) -> Result<bool, ExprError> {
    let mismatch = || ExprError::Type(format!("{} {op} {}", l.type_name(), r.type_name()));
    let b = match op {
        "==" => l == r,
        "!=" => l != r,
        "<" | ">" | "<=" | ">=" => {
            let ord = match (l, r) {
                (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
                (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
                _ => return Err(mismatch()),
            };
            let Some(ord) = ord else { return Ok(false) };
            match op {
                "<" => ord.is_lt(),
                ">" => ord.is_gt(),
                "<=" => ord.is_le(),
                _ => ord.is_ge(),
            }
        }
        "in" => match r {
            Val::List(items) => items.contains(l),
            Val::Nil => false,
            _ => return Err(mismatch()),
        },
        _ => {
            let (Val::Str(a), Val::Str(b)) = (l, r) else {
                return if matches!(l, Val::Nil) || matches!(r, Val::Nil) {
                    Ok(false)
                } else {
                    Err(mismatch())
                };
            };
            match op {
                "contains" => a.contains(b.as_str()),
                "startsWith" => a.starts_with(b.as_str()),
                "endsWith" => a.ends_with(b.as_str()),
                _ => regex::Regex::new(b).map_err(|e| ExprError::Syntax(e.to_string()))?.is_match(a),
            }
        }
    };
    Ok(b)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env() -> HashMap<String, String> {
        [("CI_COMMIT_BRANCH", "main"), ("CI_PIPELINE_EVENT", "push"), ("GO", "1.22")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn docs_examples() {
        let e = env();
        assert_eq!(evaluate(r#"CI_COMMIT_BRANCH == "main""#, &e), Ok(true));
        assert_eq!(evaluate(r#"CI_PIPELINE_EVENT != "push" || GO == "1.22""#, &e), Ok(true));
        assert_eq!(evaluate(r#"!(CI_COMMIT_BRANCH startsWith "rel") && GO contains "1.""#, &e), Ok(true));
        assert_eq!(evaluate(r#"CI_COMMIT_BRANCH in ["dev", "main"]"#, &e), Ok(true));
        assert_eq!(evaluate(r#"CI_COMMIT_BRANCH not in ["dev", "main"]"#, &e), Ok(false));
        assert_eq!(evaluate(r#"not (UNSET == nil)"#, &e), Ok(false));
        assert_eq!(evaluate(r#"UNSET == "x""#, &e), Ok(false));
        assert_eq!(evaluate(r#"CI_COMMIT_BRANCH matches "^ma""#, &e), Ok(true));
    }

    #[test]
    fn non_bool_and_syntax_errors() {
        let e = env();
        assert_eq!(evaluate("GO", &e), Err(ExprError::NotBool("string")));
        assert!(matches!(evaluate("(GO == ", &e), Err(ExprError::Syntax(_))));
        assert!(matches!(evaluate(r#""x"#, &e), Err(ExprError::Syntax(_))));
    }
}
