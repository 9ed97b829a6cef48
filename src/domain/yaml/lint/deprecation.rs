//! Rules 10 and 11 of yaml.md §5.2, which read the raw (unsubstituted) text: deprecated
//! `runs_on` and variables, and the "event filter everywhere" bad habit. Like upstream,
//! a raw text that does not decode is a blocking error.

use std::sync::OnceLock;

use regex::Regex;

use crate::domain::yaml::decode::decode_workflow;
use crate::domain::yaml::env::DEPRECATED_VARIABLES;
use crate::domain::yaml::error::{ErrorType, PipelineError, Pos};
use crate::domain::yaml::model::Workflow;
use crate::domain::yaml::node::Node;

const DOCS_STATUS: &str = "https://woodpecker-ci.org/docs/usage/workflow-syntax#status";
const DOCS_ENV: &str = "https://woodpecker-ci.org/docs/usage/environment#built-in-environment-variables";
const DOCS_EVENT_FILTER: &str = "https://woodpecker-ci.org/docs/usage/linter#event-filter-for-all-steps";

fn deprecated_var_patterns() -> &'static [(Regex, &'static str, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &str, &str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        DEPRECATED_VARIABLES
            .iter()
            .map(|(old, new)| {
                let re = Regex::new(&format!(r"\$\$?\{{?{old}\b")).expect("static pattern");
                (re, *old, *new)
            })
            .collect()
    })
}

pub fn check(file: &str, raw_text: &str, raw_document: Option<&Node>) -> Vec<PipelineError> {
    let raw = match raw_document.map(decode_workflow) {
        Some(Ok(wf)) => wf,
        Some(Err(errors)) => {
            let msg = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("\n");
            return vec![PipelineError::generic(file, msg).at(errors.first().and_then(|e| e.pos))];
        }
        None => return vec![PipelineError::generic(file, "could not parse the unsubstituted configuration")],
    };
    let mut out = Vec::new();
    if raw.has_runs_on {
        let pos = raw_document.and_then(|d| super::locate(d, "runs_on"));
        out.push(
            PipelineError::new(
                ErrorType::Deprecation,
                file,
                &format!("{file}.runs_on"),
                "Usage of `runs_on` is deprecated, use `when.status`",
                true,
            )
            .with_docs(DOCS_STATUS)
            .at(pos),
        );
    }
    for (re, old, new) in deprecated_var_patterns() {
        if let Some(m) = re.find(raw_text) {
            let msg = format!("Usage of `{old}` is deprecated, use `{new}`");
            let pos = text_pos(raw_text, m.start());
            out.push(
                PipelineError::new(ErrorType::Deprecation, file, file, msg, true)
                    .with_docs(DOCS_ENV)
                    .at(Some(pos)),
            );
        }
    }
    out.extend(bad_habits(&raw, file));
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn text_pos(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos { line, col: text[line_start..offset].chars().count() as u32 + 1 }
}

fn bad_habits(wf: &Workflow, file: &str) -> Vec<PipelineError> {
    if !wf.when.items.is_empty() && wf.when.first_item_without_event().is_none() {
        return vec![];
    }
    let habit = |field: String, msg: &str| {
        PipelineError::new(ErrorType::BadHabit, file, &field, msg, true).with_docs(DOCS_EVENT_FILTER)
    };
    wf.steps
        .iter()
        .filter_map(|step| {
            if step.when.items.is_empty() {
                Some(habit(
                    format!("steps.{}", step.name),
                    "Consider adding a `when` block with an `event` filter to this step or the entire workflow",
                ))
            } else {
                step.when.first_item_without_event().map(|i| {
                    habit(
                        format!("steps.{}.when[{i}]", step.name),
                        "Set an event filter for all steps or the entire workflow on all items of the `when` block",
                    )
                })
            }
        })
        .collect()
}
