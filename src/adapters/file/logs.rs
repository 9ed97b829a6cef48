//! Step logs as JSON-lines files.
