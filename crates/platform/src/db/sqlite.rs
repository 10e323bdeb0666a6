//! SQLite connections: WAL mode, `synchronous = NORMAL`, a busy timeout
//! (another process may hold the write lock), foreign keys on. One writer
//! connection and [`READERS`] connections that refuse writes (see
//! [`super`] for why).

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

/// Connections for reads outside transactions (`query_only`).
const READERS: u32 = 8;

/// (the writer, the readers) on the file `url` names.
pub(super) async fn connect(url: &str) -> Result<(SqlitePool, SqlitePool), StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::from(sqlx::Error::Io(e)))?;
    }
    // The writer first: it creates the file the readers open.
    let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
    // `query_only` rather than a read-only open: a write sent here by
    // mistake fails loudly, and WAL files are handled as for any connection.
    let readers =
        SqlitePoolOptions::new().max_connections(READERS).connect_with(options.pragma("query_only", "ON")).await?;
    Ok((writer, readers))
}
