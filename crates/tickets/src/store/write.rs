//! Helpers for code written once for both backends.
//!
//! [`on_pool!`] expands its body once per backend, so a query written with
//! `$1` placeholders, [`super::ts::Ts`] timestamps and portable SQL runs on
//! either pool. [`WritePool::begin_write`] opens a transaction that holds the
//! write lock: `BEGIN IMMEDIATE` on SQLite, the ticket advisory lock on
//! PostgreSQL (so event sequence numbers commit in order across instances).

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Key of the advisory lock that serialises ticket writes ("BTIK").
pub const WRITE_LOCK: i64 = 0x4254_494B;

pub trait WritePool {
    type Db: sqlx::Database;
    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WritePool for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }
}

/// Runs `$body` with `$pool` bound to whichever pool `$store` holds.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;
