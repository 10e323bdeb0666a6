//! The storage error both services' stores return: a database or migration
//! failure (cheap to clone, so one failure can answer a whole batch), or
//! stored data that no longer parses. HTTP layers log it in full and answer
//! a generic message.

use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("database migration failed: {0}")]
    Migration(Arc<sqlx::migrate::MigrateError>),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(Arc::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(Arc::new(e))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
