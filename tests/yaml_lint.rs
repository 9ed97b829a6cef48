//! The linter entry points: `lint_config` findings with positions, and the CLI helper's
//! exit codes and output format.

use std::path::PathBuf;

use nuthatch::app::lint::{format_finding, run};
use nuthatch::domain::yaml::lint::{LintOptions, lint_config};
use nuthatch::domain::yaml::metadata::Trusted;

fn trusted() -> LintOptions {
    LintOptions { trusted: Trusted::ALL, privileged_plugins: None, trusted_clone_images: vec![] }
}

/// A fresh directory under the system temp dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nuthatch-lint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn malformed_yaml_is_an_error_with_line_and_column() {
    let findings = lint_config("ci.yaml", "steps:\n  build:\n    image: [alpine\n", &trusted());
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert!(!f.is_warning);
    let pos = f.pos.expect("position");
    assert!(pos.line >= 3 && pos.col > 0, "{pos:?}");
    assert!(format_finding("ci.yaml", f).starts_with(&format!("ci.yaml:{}:{}: [error] ", pos.line, pos.col)));
}

#[test]
fn findings_point_at_the_offending_key() {
    let text = "when:\n  event: push\nsteps:\n  a:\n    image: alpine\n    commands: echo\n    depends_on: [ghost]\n";
    let findings = lint_config("ci.yaml", text, &trusted());
    let lines: Vec<String> = findings.iter().map(|f| format_finding("ci.yaml", f)).collect();
    assert_eq!(
        lines,
        ["ci.yaml:7:5: [error] steps.a.depends_on: One or more of the specified dependencies do not exist"]
    );
}

#[test]
fn untrusted_fields_are_errors_only_without_trust() {
    let text =
        "when:\n  event: push\nsteps:\n  a:\n    image: alpine\n    commands: echo\n    privileged: true\n";
    assert!(lint_config("ci.yaml", text, &trusted()).is_empty());
    let untrusted = lint_config("ci.yaml", text, &LintOptions::default());
    assert_eq!(untrusted[0].message, "Insufficient trust level to use `privileged` mode");
    assert!(!untrusted[0].is_warning);
}

#[test]
fn cli_exit_code_follows_errors_not_warnings() {
    let dir = scratch("exit");
    std::fs::write(dir.join("ok.yaml"), "steps:\n  a:\n    image: alpine\n    commands: echo\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml: [").unwrap();
    assert_eq!(run(std::slice::from_ref(&dir)), 0, "warnings only (bad habit) and non-YAML files skipped");
    std::fs::write(dir.join("broken.yml"), "steps: [\n").unwrap();
    assert_eq!(run(std::slice::from_ref(&dir)), 1);
    assert_eq!(run(&[dir.join("missing.yaml")]), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pipeline_error_serializes_like_upstream() {
    let findings = lint_config(
        "ci.yaml",
        "runs_on: [failure]\nsteps:\n  a:\n    image: alpine\n    commands: echo\n",
        &trusted(),
    );
    let json = serde_json::to_value(&findings[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "type": "deprecation",
            "message": "Usage of `runs_on` is deprecated, use `when.status`",
            "is_warning": true,
            "data": {"file": "ci.yaml", "field": "ci.yaml.runs_on", "docs": "https://woodpecker-ci.org/docs/usage/workflow-syntax#status"}
        })
    );
}
