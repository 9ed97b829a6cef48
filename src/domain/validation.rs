//! The one error type of domain validation, so callers can map every rule violation the same way
//! (the HTTP layer answers them with 400/422 and the message).

/// A value broke one of the domain's rules; the message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field at fault, in its wire name (`name`, `events`, `images`, ...).
    pub field: &'static str,
    /// What is wrong, for a human.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field` with a message.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}
