//! PostgreSQL connection: the server for scale and for several instances.
//! Writes that record events hold one advisory lock (see `write.rs`), so
//! intake's idempotency check and courier loads stay exact across
//! instances and event sequence numbers commit in order.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::StoreError;

pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    Ok(PgPoolOptions::new().max_connections(10).acquire_timeout(Duration::from_secs(5)).connect(url).await?)
}
