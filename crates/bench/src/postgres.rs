//! Fresh PostgreSQL databases for the servers under test, on the server
//! `--postgres` names: one per measured run, dropped afterwards. Their
//! names contain `_test_`, so `.ci/run` drops any that a killed run left.

use sqlx::{Connection, PgConnection};

/// One database of the benchmark's own.
pub struct BenchDb {
    pub url: String,
    name: String,
    admin_url: String,
}

impl BenchDb {
    /// Creates an empty database next to the one `admin_url` names.
    pub async fn create(admin_url: &str) -> anyhow::Result<BenchDb> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
        let name = format!("belgrano_bench_test_{}_{nanos:x}", std::process::id());
        let mut admin = PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
        admin.close().await?;
        let (base, _) =
            admin_url.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("--postgres must end in /database"))?;
        Ok(BenchDb { url: format!("{base}/{name}"), name, admin_url: admin_url.to_owned() })
    }

    /// Drops the database (its servers must have stopped).
    pub async fn drop(self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        Ok(())
    }
}

/// Runs one statement on the database at `url` (e.g. unlimited stock
/// before a load); returns the rows it changed.
pub async fn execute(url: &str, statement: &str) -> anyhow::Result<u64> {
    let mut conn = PgConnection::connect(url).await?;
    let done = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut conn).await?;
    conn.close().await?;
    Ok(done.rows_affected())
}

/// `SELECT COUNT(*)` of `table` (schema-qualified) at `url`.
pub async fn count(url: &str, table: &str) -> anyhow::Result<u64> {
    let mut conn = PgConnection::connect(url).await?;
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&mut conn).await?;
    conn.close().await?;
    Ok(n as u64)
}
