//! PostgreSQL connections: one pool for reads and writes; locking is the
//! server's (row locks, `FOR UPDATE SKIP LOCKED`, advisory locks).
//!
//! Each service keeps its data in its own schema (`tickets`, `ahorro`):
//! every connection's `search_path` is that schema, so its tables and its
//! migrations table never meet the other service's, and the two can share
//! one database (Render's free plan allows one) or move apart by changing
//! `DATABASE_URL` alone. A database from before schemas (the service's
//! tables in `public`) is adopted at the first start: its tables move into
//! the schema, data and all.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use super::{StoreError, Tx, sql};

/// Every connection's `search_path`: only the service's schema, so nothing
/// it creates lands anywhere else.
pub(super) async fn connect(url: &str, schema: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)?;
    // The schema must exist before a connection can work in it. Under a
    // lock: two instances starting together would otherwise both create it
    // (`IF NOT EXISTS` does not make concurrent creations safe).
    let mut setup = PgConnection::connect_with(&options).await?;
    let mut tx = setup.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ADOPTION_LOCK).execute(&mut *tx).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))).execute(&mut *tx).await?;
    tx.commit().await?;
    setup.close().await?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.options([("search_path", schema)]))
        .await?)
}

/// Moves a pre-schema database's tables from `public` into `schema` when
/// `public` holds this service's migrations (the first migration's checksum
/// matches) and `schema` holds none yet. One transaction, under an advisory
/// lock: two instances starting at once move them once.
pub(super) async fn adopt_public_tables(pool: &PgPool, schema: &str, migrations: &Migrator) -> Result<(), StoreError> {
    let Some(first) = migrations.iter().next() else { return Ok(()) };
    let mut tx = Tx::Postgres(pool.begin().await?);
    sql("SELECT pg_advisory_xact_lock($1)").bind(ADOPTION_LOCK).execute(&mut tx).await?;
    let (ours, legacy): (Option<String>, Option<String>) =
        sql("SELECT CAST(to_regclass($1) AS TEXT), CAST(to_regclass('public._sqlx_migrations') AS TEXT)")
            .bind(format!("{schema}._sqlx_migrations"))
            .fetch_one(&mut tx)
            .await?;
    if ours.is_some() || legacy.is_none() {
        return Ok(());
    }
    let matches: Option<(i64,)> =
        sql("SELECT version FROM public._sqlx_migrations WHERE version = $1 AND checksum = $2")
            .bind(first.version)
            .bind_param(super::Param::Bytes(Some(first.checksum.to_vec())))
            .fetch_optional(&mut tx)
            .await?;
    if matches.is_none() {
        return Ok(()); // `public` belongs to someone else.
    }
    let tables: Vec<(String,)> =
        sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetch_all(&mut tx).await?;
    for (table,) in &tables {
        // Owned sequences, indexes and constraints move with their table.
        let statement = format!("ALTER TABLE public.\"{}\" SET SCHEMA {schema}", table.replace('"', "\"\""));
        let Tx::Postgres(inner) = &mut tx else { unreachable!("a PostgreSQL transaction") };
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut **inner).await?;
    }
    tx.commit().await?;
    tracing::warn!(schema, tables = tables.len(), "tablas de la base anterior movidas de public al esquema {schema}");
    Ok(())
}

/// Key of the advisory lock of schema creation and [`adopt_public_tables`] ("BSCH").
const ADOPTION_LOCK: i64 = 0x4253_4348;
