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

impl StoreError {
    /// A unique constraint refused the write (an email taken, a numero
    /// repeated): the caller's mistake, not an outage.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(e) if matches!(&**e, sqlx::Error::Database(db) if db.is_unique_violation()))
    }
}

impl StoreError {
    /// The database could not be reached (no connection in time, the
    /// server refused or dropped it, it is shutting down): nothing about the
    /// request itself, so retrying it alone would only wait again.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else { return false };
        match &**e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
            sqlx::Error::WorkerCrashed | sqlx::Error::Protocol(_) => true,
            // SQLSTATE class 08 (connection exception), 57P0x (the server
            // is shutting down or starting).
            sqlx::Error::Database(db) => {
                db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
            }
            _ => false,
        }
    }
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

/// Parses a stored wire value (`estado`, `prioridad`, ...); a value that no
/// longer parses is corrupt data, not a client error.
pub fn parse_stored<T: std::str::FromStr<Err = String>>(raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(StoreError::Corrupt)
}
