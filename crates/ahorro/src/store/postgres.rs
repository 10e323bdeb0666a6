//! PostgreSQL connection, for several instances sharing one database
//! (Render's managed PostgreSQL). Outbox rows are claimed with
//! `FOR UPDATE SKIP LOCKED` (see `mod.rs`), so instances never send the same
//! order at the same time.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::StoreError;

pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    Ok(PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect(url).await?)
}
