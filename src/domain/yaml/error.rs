//! Pipeline findings as the API shows them (`pipeline.errors`), plus the typed
//! errors of the engine's stages. Upstream serializes `{type, message, is_warning, data}`.

use serde::Serialize;

/// Kind of a finding, serialized in lower snake case like upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    Linter,
    Deprecation,
    Compiler,
    Generic,
    BadHabit,
}

/// Where in the source a finding points. Not part of upstream's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// `data` of a finding: file and field, plus a docs link for deprecations and bad habits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ErrorData {
    pub file: String,
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// One finding on a pipeline: blocking unless `is_warning`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PipelineError {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub message: String,
    pub is_warning: bool,
    /// Always serialized, `null` when absent, like Go's untagged `Data any` field.
    pub data: Option<ErrorData>,
    /// Source position when known; kept out of the API JSON.
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl PipelineError {
    /// A finding tied to a file and field.
    pub fn new(
        kind: ErrorType,
        file: &str,
        field: &str,
        message: impl Into<String>,
        is_warning: bool,
    ) -> Self {
        PipelineError {
            kind,
            message: message.into(),
            is_warning,
            data: Some(ErrorData { file: file.to_string(), field: field.to_string(), docs: None }),
            pos: None,
        }
    }

    /// A blocking error without a field (upstream's plain errors).
    pub fn generic(file: &str, message: impl Into<String>) -> Self {
        PipelineError::new(ErrorType::Generic, file, "", message, false)
    }

    /// Attach a docs link to `data`.
    pub fn with_docs(mut self, docs: &str) -> Self {
        if let Some(d) = self.data.as_mut() {
            d.docs = Some(docs.to_string());
        }
        self
    }

    /// Attach a source position.
    pub fn at(mut self, pos: Option<Pos>) -> Self {
        self.pos = pos;
        self
    }

    /// The field, or "" when the finding has none.
    pub fn field(&self) -> &str {
        self.data.as_ref().map_or("", |d| d.field.as_str())
    }
}

/// Failure to read a YAML document into a node tree.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub pos: Option<Pos>,
}

impl YamlError {
    pub(crate) fn new(message: impl Into<String>, pos: Option<Pos>) -> Self {
        YamlError { message: message.into(), pos }
    }
}
