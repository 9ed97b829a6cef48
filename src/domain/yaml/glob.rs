//! Glob matching with doublestar v4 `Match` semantics (upstream's filters): `/` is the
//! separator, `*` and `?` stay inside a segment, `**` as a whole segment spans zero or more
//! segments, classes `[a-z]`/`[!x]`/`[^x]`, alternation `{a,b}`, `\` escapes, anchored
//! match, and an invalid pattern never matches.

use std::collections::HashSet;

/// Most alternatives a brace pattern may expand to; beyond that the pattern is invalid.
const MAX_ALTERNATIVES: usize = 256;

/// Characters with a meaning in patterns (an unpaired `}` makes a pattern invalid).
const SPECIAL: [char; 7] = ['*', '?', '[', ']', '{', '}', '\\'];

/// Whether `name` matches `pattern`; invalid patterns give `false`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    // Most filters are plain names (`main`, `push`): without special characters a
    // pattern matches only itself, so no expansion or matcher state is needed.
    if !pattern.contains(SPECIAL) {
        return pattern == name;
    }
    let name: Vec<char> = name.chars().collect();
    let matches = |alt: &str| {
        let p: Vec<char> = alt.chars().collect();
        valid_classes(&p) && Matcher::new(&p, &name).at(0, 0)
    };
    if !pattern.contains(['{', '}']) {
        return matches(pattern);
    }
    let Some(alternatives) = expand_braces(pattern) else { return false };
    alternatives.iter().any(|alt| matches(alt))
}

/// Expand `{a,b}` alternation into plain patterns; `None` for unbalanced braces or too many.
fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut open = None;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => {
                open = Some(i);
                break;
            }
            '}' => return None,
            _ => {}
        }
        i += 1;
    }
    let Some(start) = open else { return Some(vec![pattern.to_string()]) };
    let (mut depth, mut parts, mut part_start, mut end) = (0usize, Vec::new(), start + 1, None);
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 1,
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '}' => {
                parts.push(&chars[part_start..j]);
                end = Some(j);
                break;
            }
            ',' if depth == 0 => {
                parts.push(&chars[part_start..j]);
                part_start = j + 1;
            }
            _ => {}
        }
        j += 1;
    }
    let end = end?;
    let prefix: String = chars[..start].iter().collect();
    let suffix: String = chars[end + 1..].iter().collect();
    let mut out = Vec::new();
    for part in parts {
        let candidate = format!("{prefix}{}{suffix}", part.iter().collect::<String>());
        out.extend(expand_braces(&candidate)?);
        if out.len() > MAX_ALTERNATIVES {
            return None;
        }
    }
    Some(out)
}

/// Every `[` must close; an escaped `\` at the very end is invalid too.
fn valid_classes(p: &[char]) -> bool {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 == p.len() => return false,
            '\\' => i += 1,
            '[' => match class_end(p, i) {
                Some(end) => i = end,
                None => return false,
            },
            _ => {}
        }
        i += 1;
    }
    true
}

/// Index of the `]` closing the class opened at `open`.
fn class_end(p: &[char], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if matches!(p.get(i), Some('!' | '^')) {
        i += 1;
    }
    let first = i;
    while i < p.len() {
        match p[i] {
            '\\' => i += 1,
            ']' if i > first => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negated, body) = match class.first() {
        Some('!' | '^') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut i = 0;
    let mut hit = false;
    while i < body.len() {
        let mut lo = body[i];
        if lo == '\\' && i + 1 < body.len() {
            i += 1;
            lo = body[i];
        }
        if i + 2 < body.len() && body[i + 1] == '-' {
            let mut hi = body[i + 2];
            i += 2;
            if hi == '\\' && i + 1 < body.len() {
                i += 1;
                hi = body[i];
            }
            hit |= lo <= c && c <= hi;
        } else {
            hit |= lo == c;
        }
        i += 1;
    }
    hit != negated
}

struct Matcher<'a> {
    p: &'a [char],
    s: &'a [char],
    /// States already known not to match, so backtracking stays polynomial.
    failed: Failed,
}

/// Most matcher states tracked in a bit set; beyond that (huge patterns or names) only
/// the visited states are stored.
const MAX_BIT_STATES: usize = 1 << 20;

/// Failed states by index `pi * (s.len() + 1) + si`.
enum Failed {
    Bits(Vec<u64>),
    Set(HashSet<usize>),
}

impl<'a> Matcher<'a> {
    fn new(p: &'a [char], s: &'a [char]) -> Self {
        let states = (p.len() + 1).saturating_mul(s.len() + 1);
        let failed = if states <= MAX_BIT_STATES {
            Failed::Bits(vec![0; states.div_ceil(64)])
        } else {
            Failed::Set(HashSet::new())
        };
        Matcher { p, s, failed }
    }

    fn at(&mut self, pi: usize, si: usize) -> bool {
        let state = pi * (self.s.len() + 1) + si;
        let known = match &self.failed {
            Failed::Bits(bits) => bits[state / 64] & (1 << (state % 64)) != 0,
            Failed::Set(set) => set.contains(&state),
        };
        if known {
            return false;
        }
        let ok = self.step(pi, si);
        if !ok {
            match &mut self.failed {
                Failed::Bits(bits) => bits[state / 64] |= 1 << (state % 64),
                Failed::Set(set) => {
                    set.insert(state);
                }
            }
        }
        ok
    }

    fn step(&mut self, pi: usize, si: usize) -> bool {
        let (p, s) = (self.p, self.s);
        let Some(&pc) = p.get(pi) else { return si == s.len() };
        match pc {
            '*' if p.get(pi + 1) == Some(&'*') && self.whole_segment(pi) => {
                let after = pi + 2;
                if after == p.len() {
                    return true;
                }
                // `**/rest`: rest may start at this segment or any later one.
                if self.at(after + 1, si) {
                    return true;
                }
                (si..s.len()).any(|k| s[k] == '/' && self.at(after + 1, k + 1))
            }
            '*' => {
                let mut pn = pi;
                while p.get(pn) == Some(&'*') {
                    pn += 1;
                }
                let mut k = si;
                loop {
                    if self.at(pn, k) {
                        return true;
                    }
                    if k == s.len() || s[k] == '/' {
                        return false;
                    }
                    k += 1;
                }
            }
            '/' if p.get(pi + 1) == Some(&'*')
                && p.get(pi + 2) == Some(&'*')
                && pi + 3 == p.len()
                && si == s.len() =>
            {
                // `a/**` also matches `a`.
                true
            }
            '?' => si < s.len() && s[si] != '/' && self.at(pi + 1, si + 1),
            '[' => {
                let Some(end) = class_end(p, pi) else { return false };
                si < s.len()
                    && s[si] != '/'
                    && class_matches(&p[pi + 1..end], s[si])
                    && self.at(end + 1, si + 1)
            }
            '\\' => p.get(pi + 1).is_some_and(|&lit| s.get(si) == Some(&lit)) && self.at(pi + 2, si + 1),
            lit => s.get(si) == Some(&lit) && self.at(pi + 1, si + 1),
        }
    }

    /// `**` at `pi` fills a whole path segment.
    fn whole_segment(&self, pi: usize) -> bool {
        let before_ok = pi == 0 || self.p[pi - 1] == '/';
        let after_ok = matches!(self.p.get(pi + 2), None | Some('/'));
        before_ok && after_ok
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn doublestar_vectors() {
        let cases = [
            ("*", "abc", true),
            ("*", "a/b", false),
            ("src/*.rs", "src/a/b.rs", false),
            ("src/**/*.rs", "src/a/b.rs", true),
            ("src/**/*.rs", "src/b.rs", true),
            ("**/*.md", "README.md", true),
            ("**", "a/b/c", true),
            ("a/**", "a", true),
            ("a/**", "a/b/c", true),
            ("a**b", "axxb", true),
            ("a**b", "ax/xb", false),
            ("?at", "cat", true),
            ("?at", "/at", false),
            ("[a-c]at", "bat", true),
            ("[!a-c]at", "bat", false),
            ("[^a-c]at", "rat", true),
            ("{main,release/*}", "release/v1", true),
            ("{main,release/*}", "dev", false),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("[abc", "a", false),
            ("{a,b", "a", false),
            ("refs/tags/v*", "refs/tags/v1.2", true),
            ("main", "main2", false),
            ("release/v1", "release/v1", true),
            ("a]b", "a]b", true),
            ("a}b", "a}b", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(glob_match(pattern, name), want, "{pattern} vs {name}");
        }
    }
}
