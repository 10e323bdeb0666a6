//! A validation failure that names the field at fault.

use serde::Serialize;

/// One field that failed validation. APIs answer it as
/// `{"error": "...", "campo": "...", "detalle": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}
