//! The database layer both services share: SQLite (the embedded default)
//! or PostgreSQL (the server for scale and for several instances), behind
//! one small API.
//!
//! - [`Db::connect`] opens the backend a URL names, with the settings
//!   measured for it, and runs the service's migrations.
//! - Three explicit ways in, so a reader of a store function sees how it
//!   touches the database:
//!   - [`Db::read`]: statements that only read, outside a transaction;
//!   - [`Db::write`]: single statements that write, and
//!     [`Db::begin_write`]: a write transaction;
//!   - [`Db::begin_exclusive`]: a write transaction that also excludes every
//!     other instance's exclusive transactions on the same [`Lock`], for
//!     check-then-insert work with no row to lock yet.
//! - [`Sql`] is one statement written once for both backends.
//!
//! On SQLite, writes go through one connection and reads through
//! connections that refuse writes (`query_only`): SQLite runs one writer at
//! a time anyway, and writers queueing in the pool (in order, no sleeping)
//! beat several connections polling the file lock with the busy handler's
//! back-off sleeps (Ahorro's checkouts: 673/s with eight shared connections,
//! 1,026/s with one writer; docs/BENCHMARKS.md). Pages then never wait
//! behind a write. Because the writer is one connection, code holding a
//! write transaction must run its statements on that transaction, never on
//! [`Db::write`] (it would wait for itself).

mod error;
mod postgres;
mod sql;
mod sqlite;
mod ts;

pub use error::{StoreError, parse_stored};
pub use sql::{Executor, FromRow, Param, Sql, Target, sql};
pub use ts::Ts;

use sqlx::migrate::Migrator;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Which server holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names: `sqlite:...` or `postgres(ql)://...`.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A service's migrations, one folder per backend
/// (`sqlx::migrate!("../../migrations/<service>/<backend>")`).
pub struct Migrations {
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
}

/// How a service connects.
pub struct Options {
    pub migrations: Migrations,
    /// The service's own PostgreSQL schema (see `postgres.rs`); unused on
    /// SQLite, where each service has its own file.
    pub postgres_schema: &'static str,
    /// Connections of the PostgreSQL pool.
    pub postgres_connections: u32,
}

/// The key of an advisory lock ([`Db::begin_exclusive`]). Each service
/// names its own, so the two never wait for each other on one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock(pub i64);

/// The database of one service. Cheap to clone (pools).
#[derive(Clone, Debug)]
pub struct Db {
    pools: Pools,
}

#[derive(Clone, Debug)]
enum Pools {
    Sqlite { writer: SqlitePool, readers: SqlitePool },
    Postgres(PgPool),
}

/// A pool to run single statements on, outside any transaction.
#[derive(Clone, Copy, Debug)]
pub enum Conn<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Connects (creating a SQLite file and its folder if missing) and runs
    /// the migrations of the chosen backend.
    pub async fn connect(url: &str, options: Options) -> Result<Db, StoreError> {
        let pools = match Backend::of_url(url) {
            Some(Backend::Postgres) => {
                let pool = postgres::connect(url, options.postgres_schema, options.postgres_connections).await?;
                postgres::adopt_public_tables(&pool, options.postgres_schema, options.migrations.postgres).await?;
                Pools::Postgres(pool)
            }
            _ => {
                let (writer, readers) = sqlite::connect(url).await?;
                Pools::Sqlite { writer, readers }
            }
        };
        match &pools {
            Pools::Sqlite { writer, .. } => options.migrations.sqlite.run(writer).await?,
            Pools::Postgres(pool) => options.migrations.postgres.run(pool).await?,
        }
        Ok(Db { pools })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// For statements that only read, outside a transaction.
    pub fn read(&self) -> Conn<'_> {
        match &self.pools {
            Pools::Sqlite { readers, .. } => Conn::Sqlite(readers),
            Pools::Postgres(pool) => Conn::Postgres(pool),
        }
    }

    /// For single statements that write, outside a transaction (each one
    /// commits on its own).
    pub fn write(&self) -> Conn<'_> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => Conn::Sqlite(writer),
            Pools::Postgres(pool) => Conn::Postgres(pool),
        }
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock up
    /// front, instead of failing when a reader upgrades); a plain
    /// transaction on PostgreSQL, where row locks do the work.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A write transaction that excludes every other exclusive transaction
    /// on `lock`, in any instance, until it ends: `pg_advisory_xact_lock` on
    /// PostgreSQL; on SQLite every write transaction already excludes the
    /// others.
    ///
    /// On PostgreSQL the `BEGIN` and the lock go in one simple query: one
    /// round trip instead of two, and every exclusive transaction pays it.
    pub async fn begin_exclusive(&self, lock: Lock) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { .. } => self.begin_write().await?,
            Pools::Postgres(pool) => {
                // The key is an integer: nothing from outside reaches the text.
                let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({})", lock.0);
                Tx::Postgres(pool.begin_with(sqlx::AssertSqlSafe(begin)).await?)
            }
        })
    }

    /// A real round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sql("SELECT 1").execute(self.read()).await.map(drop)
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, readers } => {
                readers.close().await;
                writer.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// Inserts many rows with few statements: `head` is
/// `INSERT INTO t (a, b) VALUES `, each row its values in that order. Rows
/// go in statements of at most [`MAX_PARAMS_PER_STATEMENT`] parameters.
pub async fn insert_rows(tx: &mut Tx, head: &str, rows: Vec<Vec<Param>>) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len).filter(|w| *w > 0) else { return Ok(()) };
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Sql::build(head);
        for (i, row) in rows.by_ref().take(MAX_PARAMS_PER_STATEMENT / width).enumerate() {
            if i > 0 {
                insert.push(", ");
            }
            insert.push_row(row);
        }
        insert.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Far below both backends' limits (SQLite 32,766; PostgreSQL 65,535).
pub const MAX_PARAMS_PER_STATEMENT: usize = 1000;

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
