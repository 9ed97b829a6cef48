//! Pipeline YAML engine: parse, lint, `when`, matrix, multi-workflow and compile to the
//! agent payload, compatible with Woodpecker CI. Pure: inputs are file contents,
//! metadata and server options; no I/O.
//!
//! Flow (see [`builder::build`]): for each file, sorted by name, read the matrix from the
//! raw text ([`matrix`]); per axis compute the `CI_*` environment ([`mod@env`]), substitute
//! `${...}` ([`subst`], [`vars`]), parse ([`parse`], [`merge`], [`resubst`]), decode ([`decode`]
//! into [`model`]), lint ([`lint`]), filter with `when` ([`when`], [`expr`], [`glob`]) and
//! compile ([`compile`] into [`payload`]); finally resolve `depends_on` between
//! workflows ([`workflows`]). The raw files are parsed ahead on spare cores ([`prefetch`]).

pub mod builder;
pub mod compile;
pub mod decode;
pub mod env;
pub mod environment;
pub mod error;
pub mod expr;
pub mod glob;
pub mod lint;
pub mod matrix;
pub mod merge;
pub mod metadata;
pub mod model;
pub mod node;
pub mod options;
pub mod parse;
pub mod payload;
pub mod prefetch;
pub mod resubst;
pub mod subst;
pub mod vars;
pub mod when;
pub mod workflows;

pub use builder::{BuildOutcome, ConfigFile, SkipReason, WorkflowOutcome, WorkflowState, build};
pub use error::{ErrorType, PipelineError, Pos};
pub use metadata::Metadata;
pub use options::BuildOptions;
