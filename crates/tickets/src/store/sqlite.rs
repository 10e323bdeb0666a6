//! SQLite connection: the embedded default. WAL mode with a busy timeout
//! and `synchronous = NORMAL`; write transactions start with
//! `BEGIN IMMEDIATE` (see `write.rs`) so writers queue on the lock instead
//! of failing when a reader upgrades.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

pub(super) async fn connect(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(parent) = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(std::sync::Arc::new(sqlx::Error::Io(e))))?;
    }
    Ok(SqlitePoolOptions::new().max_connections(8).connect_with(options).await?)
}
