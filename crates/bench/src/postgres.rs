//! Statements the benchmark runs itself on a PostgreSQL database (its
//! fresh databases come from `belgrano_testkit::TestDb::postgres_on`, named
//! `belgrano_test_*`, so `.ci/run` drops any that a killed run left).

use sqlx::{Connection, PgConnection};

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
