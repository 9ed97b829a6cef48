//! Golden-file runner: every `tests/fixtures/yaml/**/<case>.yaml` (one file) or
//! `<case>.d/` (several workflow files) is built with the default test metadata, plus
//! the overrides of an optional `<case>.env.json`, and compared with `<case>.lint.txt`
//! (the findings, one formatted line each) or `<case>.expected.json` (the whole outcome).
//! `UPDATE_GOLDEN=1 cargo test --test yaml_fixtures` rewrites the golden files.

mod common;

use std::path::{Path, PathBuf};

use common::{CaseEnv, build_case, default_metadata};
use nuthatch::app::lint::format_finding;
use nuthatch::domain::yaml::{BuildOutcome, ConfigFile, WorkflowState};
use serde_json::Value;

const MIN_CASES: usize = 60;

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml")
}

/// Case inputs: (case path without extension, config files).
fn cases() -> Vec<(PathBuf, Vec<ConfigFile>)> {
    let mut out = Vec::new();
    let mut dirs = vec![fixture_root()];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                match name.strip_suffix(".d") {
                    Some(case) => out.push((dir.join(case), dir_files(&path))),
                    None => dirs.push(path),
                }
            } else if let Some(case) = name.strip_suffix(".yaml") {
                let data = std::fs::read(&path).unwrap();
                out.push((dir.join(case), vec![ConfigFile { name: ".woodpecker.yaml".into(), data }]));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Files of a multi-workflow case, named `.woodpecker/<file>`.
fn dir_files(dir: &Path) -> Vec<ConfigFile> {
    let mut files: Vec<ConfigFile> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| ConfigFile {
            name: format!(".woodpecker/{}", p.file_name().unwrap().to_string_lossy()),
            data: std::fs::read(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn lint_lines(outcome: &BuildOutcome) -> String {
    outcome
        .errors
        .iter()
        .map(|e| format_finding(&e.data.as_ref().map_or(String::new(), |d| d.file.clone()), e) + "\n")
        .collect()
}

/// The outcome as reviewed JSON: built-in `CI_*` values that equal the workflow's
/// compile-time environment are left out unless the case asks for the full env.
fn outcome_json(outcome: &BuildOutcome, env: &CaseEnv) -> Value {
    let mut v = serde_json::to_value(outcome).unwrap();
    if env.summary {
        return summary(&v);
    }
    // Steps always carry the workflow's labels; they are shown once per workflow.
    for wv in v["workflows"].as_array_mut().unwrap() {
        let labels = wv["labels"].clone();
        for step in compiled_steps(wv) {
            if !env.full_env && step["workflow_labels"] == labels {
                step.as_object_mut().unwrap().remove("workflow_labels");
            }
        }
    }
    if !env.full_env {
        for (w, wv) in outcome.workflows.iter().zip(v["workflows"].as_array_mut().unwrap()) {
            let WorkflowState::Compiled(_) = &w.state else { continue };
            let builtins = common::workflow_ci_env(&env.metadata(default_metadata()), w);
            for step in compiled_steps(wv) {
                let envmap = step["environment"].as_object_mut().unwrap();
                envmap.retain(|k, val| builtins.get(k).is_none_or(|b| val.as_str() != Some(b.as_str())));
            }
        }
    }
    v
}

/// The steps of a compiled workflow's JSON (none when it was skipped). Uses `get_mut`
/// so that skipped workflows are not given empty keys.
fn compiled_steps(workflow: &mut Value) -> impl Iterator<Item = &mut Value> {
    let stages = workflow.pointer_mut("/state/compiled/pipeline").and_then(Value::as_array_mut);
    stages.into_iter().flatten().filter_map(|s| s.get_mut("steps").and_then(Value::as_array_mut)).flatten()
}

/// Per workflow only its identity and which steps run in which stage.
fn summary(v: &Value) -> Value {
    let workflows: Vec<Value> = v["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let stages: Vec<Value> = w["state"]["compiled"]["pipeline"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["steps"].as_array().into_iter().flatten().map(|st| st["name"].clone()).collect())
                .collect();
            serde_json::json!({"pid": w["pid"], "name": w["name"], "axis_id": w["axis_id"],
                "environ": w["environ"], "skipped": w["state"]["skipped"], "stages": stages})
        })
        .collect();
    serde_json::json!({"workflows": workflows, "errors": v["errors"]})
}

#[test]
fn golden_fixtures() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let cases = cases();
    assert!(cases.len() >= MIN_CASES, "only {} fixture cases", cases.len());
    let mut failures = Vec::new();
    for (case, files) in &cases {
        let env = CaseEnv::load(&case.with_extension("env.json"));
        let outcome = build_case(files, &env);
        for w in &outcome.workflows {
            if let WorkflowState::Compiled(p) = &w.state {
                let size = serde_json::to_vec(p).unwrap().len();
                assert!(p.size_bound() >= size, "{}: size bound {} < {size}", case.display(), p.size_bound());
            }
        }
        let lint_path = case.with_extension("lint.txt");
        let (path, actual) = if lint_path.exists() {
            (lint_path, lint_lines(&outcome))
        } else {
            let json = serde_json::to_string_pretty(&outcome_json(&outcome, &env)).unwrap() + "\n";
            (case.with_extension("expected.json"), json)
        };
        if update {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{}:\n--- expected\n{expected}\n--- actual\n{actual}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}
