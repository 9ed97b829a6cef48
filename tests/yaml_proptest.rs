//! Property: parse -> lint -> compile never panics, whatever the input. Inputs are
//! random YAML-ish documents built from pipeline vocabulary, and random mutations of
//! the golden fixtures. Raise the case count with `PROPTEST_CASES=...`.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{CaseEnv, build_case};
use nuthatch::domain::yaml::ConfigFile;
use nuthatch::domain::yaml::lint::{LintOptions, lint_config};
use nuthatch::domain::yaml::parse::parse_yaml;
use nuthatch::domain::yaml::resubst::reuse_raw_tree;
use nuthatch::domain::yaml::subst::substitute;
use proptest::prelude::*;

fn fixtures() -> &'static Vec<String> {
    static FIXTURES: OnceLock<Vec<String>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let mut out = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        out.sort();
        out
    })
}

const KEYS: &[&str] = &[
    "steps",
    "services",
    "clone",
    "when",
    "matrix",
    "include",
    "image",
    "commands",
    "settings",
    "environment",
    "depends_on",
    "name",
    "optional",
    "event",
    "branch",
    "path",
    "exclude",
    "evaluate",
    "status",
    "labels",
    "workspace",
    "base",
    "skip_clone",
    "runs_on",
    "concurrency",
    "limit",
    "from_secret",
    "ports",
    "volumes",
    "privileged",
    "detach",
    "failure",
    "<<",
    "\"<<\"",
    "x-y",
    "1",
];
const SCALARS: &[&str] = &[
    "alpine",
    "push",
    "tag",
    "main",
    "true",
    "yes",
    "~",
    "0755",
    "1.10",
    "-1",
    "0x1F",
    "2024-01-01",
    "\"q\"",
    "'s'",
    "${CI_REPO}",
    "${X:0:2}",
    "${",
    "$$",
    "*a",
    "&a v",
    "*missing",
    "[a, b]",
    "{a: b}",
    "[",
    "}",
    "|",
    ">-",
    "!!str 1",
    "CI_REPO == \"x\"",
    "a && (b",
    "**/*.go",
    "[!a-",
    "{a,b",
    "99999",
    "a:b",
    "::",
    "\"\\u0000\"",
    "---",
    "#c",
];

/// Substituted values, including ones that would change the YAML structure.
const SUBST_VALUES: &[&str] = &[
    "1.22", "true", "a # b", "x: y", "[a]", "{a: b}", "-", "\"", "'", "", "  ", "0755", "~", "&a", "*a",
    "a\nb", "${X}", "$$", "%", "@", "`", "|", ">", "!tag", "- x", "? x", ": x", "#", "null", "yes",
];

/// Node types and raw texts without positions (columns may shift after substitution).
fn strip(n: &nuthatch::domain::yaml::node::Node) -> String {
    use nuthatch::domain::yaml::node::Value;
    match &n.value {
        Value::Seq(items) => format!("[{}]", items.iter().map(strip).collect::<Vec<_>>().join(",")),
        Value::Map(m) => {
            format!(
                "{{{}}}",
                m.iter().map(|(k, v)| format!("{}={}", k.text, strip(v))).collect::<Vec<_>>().join(",")
            )
        }
        v => format!("{v:?}/{:?}", n.raw),
    }
}

/// A random YAML-ish document: nested maps and lists of pipeline words, some broken.
fn document() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(SCALARS).prop_map(str::to_string);
    let tree = leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..6).prop_map(|entries| {
                entries.into_iter().map(|(k, v)| format!("{k}:\n{}", indent(&v))).collect::<String>()
            }),
            prop::collection::vec(inner, 0..5).prop_map(|items| items
                .into_iter()
                .map(|v| format!("-\n{}", indent(&v)))
                .collect::<String>()),
        ]
    });
    (tree, any::<bool>()).prop_map(|(t, anchors)| {
        if anchors { format!("variables:\n  - &a [x, y]\n  - &b {{image: alpine}}\n{t}") } else { t }
    })
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A fixture with a few random edits (deletions, insertions, line swaps).
fn mutated_fixture() -> impl Strategy<Value = String> {
    let edit = (
        0usize..4,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::sample::select(SCALARS),
    );
    (any::<prop::sample::Index>(), prop::collection::vec(edit, 1..6)).prop_map(|(pick, edits)| {
        let mut text = pick.get(fixtures()).clone();
        for (kind, a, b, snippet) in edits {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let (x, y) = (*a.get(&bounds), *b.get(&bounds));
            let (lo, hi) = (x.min(y), x.max(y));
            match kind {
                0 => text.replace_range(lo..hi.min(lo + 40), ""),
                1 => text.insert_str(lo, snippet),
                2 => text.insert_str(lo, &format!("\n{snippet}: {snippet}\n")),
                _ => {
                    let mut lines: Vec<&str> = text.lines().collect();
                    if lines.len() > 1 {
                        let (i, j) = (a.index(lines.len()), b.index(lines.len()));
                        lines.swap(i, j);
                    }
                    text = lines.join("\n");
                }
            }
        }
        text
    })
}

/// A fixture with `${X}` placed at the end of, or after the `: ` of, random lines.
fn fixture_with_placeholders() -> impl Strategy<Value = String> {
    (any::<prop::sample::Index>(), prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 1..6))
        .prop_map(|(pick, spots)| {
            let mut lines: Vec<String> = pick.get(fixtures()).lines().map(str::to_string).collect();
            if lines.is_empty() {
                return String::new();
            }
            for (at, after_colon) in spots {
                let i = at.index(lines.len());
                let line = &mut lines[i];
                match line.find(": ") {
                    Some(i) if after_colon => line.insert_str(i + 2, "${X}"),
                    _ => line.push_str("${X}"),
                }
            }
            lines.join("\n") + "\n"
        })
}

fn check_never_panics(text: &str) {
    let files = vec![ConfigFile { name: ".woodpecker/x.yaml".into(), data: text.as_bytes().to_vec() }];
    let outcome = build_case(&files, &CaseEnv::default());
    for e in &outcome.errors {
        assert!(!e.message.is_empty(), "empty message for {e:?}");
    }
    for w in &outcome.workflows {
        if let nuthatch::domain::yaml::WorkflowState::Compiled(p) = &w.state {
            assert!(p.size_bound() >= serde_json::to_vec(p).unwrap().len(), "size bound too small");
        }
    }
    let _ = lint_config("x.yaml", text, &LintOptions::default());
    if let Err(e) = parse_yaml(text) {
        assert!(e.pos.is_some(), "YAML error without position: {e:?} for {text:?}");
    }
}

proptest! {
    #[test]
    fn random_documents_never_panic(text in document()) {
        check_never_panics(&text);
    }

    #[test]
    fn mutated_fixtures_never_panic(text in mutated_fixture()) {
        check_never_panics(&text);
    }

    /// The re-substitution fast path gives exactly what a full parse gives.
    #[test]
    fn reused_tree_equals_full_parse(text in fixture_with_placeholders(), value in prop::sample::select(SUBST_VALUES)) {
        let Ok(raw_doc) = parse_yaml(&text) else { return Ok(()) };
        let env = ["CI_REPO", "CI_COMMIT_BRANCH", "GO", "X", "EXTRA_KEY", "PULL", "CI_PIPELINE_NUMBER", "DB"]
            .iter()
            .map(|k| (k.to_string(), value.to_string()))
            .collect();
        let Ok(new_text) = substitute(&text, &env) else { return Ok(()) };
        if let Some(fast) = reuse_raw_tree(&raw_doc, &text, &new_text) {
            let full = parse_yaml(&new_text);
            prop_assert!(full.is_ok(), "fast path accepted text that does not parse: {new_text}");
            let full = full.unwrap();
            prop_assert_eq!(fast.to_json(), full.to_json());
            prop_assert_eq!(format!("{:?}", strip(&fast)), format!("{:?}", strip(&full)));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check_never_panics(&text);
    }
}
