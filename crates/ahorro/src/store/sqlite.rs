//! SQLite connections: the embedded default. WAL mode, `synchronous =
//! NORMAL`, a busy timeout; write transactions start with `BEGIN IMMEDIATE`
//! (see `mod.rs`) so writers queue on the lock instead of failing when a
//! reader tries to upgrade.
//!
//! Writes go through one connection: SQLite runs one writer at a time
//! anyway, and writers of one process queueing in the pool (in order, no
//! sleeping) beat several connections polling the file lock with the busy
//! handler's back-off sleeps (checkouts 673/s with eight shared
//! connections, 1,026/s with one writer; docs/BENCHMARKS.md). Reads outside
//! transactions use connections that refuse writes, so pages never wait
//! behind a checkout. The busy timeout still covers another process writing.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

/// Connections for reads outside transactions (`query_only`).
const READERS: u32 = 8;

/// The single writer and the readers, on one database file.
#[derive(Clone, Debug)]
pub struct Pools {
    pub writer: SqlitePool,
    pub readers: SqlitePool,
}

pub(super) async fn connect(url: &str) -> Result<Pools, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(std::sync::Arc::new(sqlx::Error::Io(e))))?;
    }
    // The writer first: it creates the file the readers open.
    let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
    // `query_only` rather than a read-only open: a write sent here by
    // mistake fails loudly, and WAL files are handled as for any connection.
    let readers =
        SqlitePoolOptions::new().max_connections(READERS).connect_with(options.pragma("query_only", "ON")).await?;
    Ok(Pools { writer, readers })
}
