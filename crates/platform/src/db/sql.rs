//! [`Sql`]: one statement, written once with `$1, $2, ...` placeholders
//! and run on whichever backend the database is.
//!
//! sqlx's own query types are tied to one backend, and `sqlx::Any` cannot
//! bind JSON or timestamps nor read SQLite's booleans. So a statement here
//! keeps its parameters as portable [`Param`]s and turns them into the
//! backend's arguments only when it runs; rows decode with `sqlx::FromRow`
//! types that decode on both backends (see [`FromRow`]). SQLite accepts
//! `$1` placeholders too, and a placeholder used twice binds once.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, PgConnection, PgPool, SqliteConnection, SqlitePool};

use super::{Conn, StoreError, Ts, Tx};

/// A row type that decodes on both backends. `#[derive(sqlx::FromRow)]`
/// structs and tuples qualify when every field decodes on both (integers as
/// `i64`/`i32` matching the column, `bool`, `String`, [`Ts`], options).
pub trait FromRow: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

impl<T> FromRow for T where T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

/// A bound value. `Null` keeps its type, so PostgreSQL can infer
/// `$1 IS NULL OR column = $1`.
#[derive(Debug, Clone)]
pub enum Param {
    Bool(Option<bool>),
    I32(Option<i32>),
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Ts(Option<Ts>),
    /// JSON text: a `JSONB` column on PostgreSQL, text on SQLite.
    Json(Option<Box<RawValue>>),
    Bytes(Option<Vec<u8>>),
}

impl Param {
    /// A JSON parameter from any serialisable value.
    pub fn json(value: &impl Serialize) -> Result<Param, StoreError> {
        Ok(Param::Json(Some(serde_json::value::to_raw_value(value)?)))
    }

    fn add_sqlite(self, args: &mut SqliteArguments) -> Result<(), BoxDynError> {
        match self {
            Param::Bool(v) => args.add(v),
            Param::I32(v) => args.add(v),
            Param::I64(v) => args.add(v),
            Param::F64(v) => args.add(v),
            Param::Text(v) => args.add(v),
            Param::Ts(v) => args.add(v),
            Param::Json(v) => args.add(v),
            Param::Bytes(v) => args.add(v),
        }
    }

    fn add_postgres(self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        match self {
            Param::Bool(v) => args.add(v),
            Param::I32(v) => args.add(v),
            Param::I64(v) => args.add(v),
            Param::F64(v) => args.add(v),
            Param::Text(v) => args.add(v),
            Param::Ts(v) => args.add(v),
            Param::Json(v) => args.add(v),
            Param::Bytes(v) => args.add(v),
        }
    }
}

macro_rules! param_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Param {
            fn from(v: $t) -> Self {
                Param::$variant(Some(v.into()))
            }
        }
        impl From<Option<$t>> for Param {
            fn from(v: Option<$t>) -> Self {
                Param::$variant(v.map(Into::into))
            }
        }
    )*};
}

param_from!(bool => Bool, i32 => I32, i64 => I64, f64 => F64, String => Text, Ts => Ts, DateTime<Utc> => Ts);

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Param::Text(v.map(str::to_owned))
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(Some(v.clone()))
    }
}

impl From<&Option<String>> for Param {
    fn from(v: &Option<String>) -> Self {
        Param::Text(v.clone())
    }
}

/// One statement and its parameters.
#[derive(Debug, Clone)]
pub struct Sql {
    text: Cow<'static, str>,
    params: Vec<Param>,
}

/// A statement with `$1, $2, ...` placeholders, bound with [`Sql::bind`].
pub fn sql(text: &'static str) -> Sql {
    Sql { text: Cow::Borrowed(text), params: Vec::new() }
}

impl Sql {
    /// A statement assembled at run time ([`Sql::push`], [`Sql::push_bind`]).
    /// Only trusted text (names, placeholders) may be pushed: values go in
    /// as parameters.
    pub fn build(start: &str) -> Sql {
        Sql { text: Cow::Owned(start.to_owned()), params: Vec::new() }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Binds an already built parameter (e.g. [`Param::json`]).
    pub fn bind_param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }

    /// Appends trusted SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let placeholder = format!("${}", self.params.len());
        self.text.to_mut().push_str(&placeholder);
        self
    }

    /// Appends `(p1, p2, ...)`: one row of a multi-row `VALUES` list.
    pub fn push_row(&mut self, values: impl IntoIterator<Item = Param>) -> &mut Self {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self.push(")")
    }

    /// How many parameters are bound (to stay under a backend's limit).
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    fn sqlite(self) -> Result<(SqlText, SqliteArguments), StoreError> {
        let mut args = SqliteArguments::default();
        let text = if self.params.len() >= MANY_PARAMS {
            anonymous_placeholders(&self.text, self.params.len()).map_or(self.text, Cow::Owned)
        } else {
            self.text
        };
        self.params.into_iter().try_for_each(|p| p.add_sqlite(&mut args)).map_err(sqlx::Error::Encode)?;
        Ok((SqlText(text), args))
    }

    fn postgres(self) -> Result<(SqlText, PgArguments), StoreError> {
        let mut args = PgArguments::default();
        self.params.into_iter().try_for_each(|p| p.add_postgres(&mut args)).map_err(sqlx::Error::Encode)?;
        Ok((SqlText(self.text), args))
    }

    /// Every row.
    pub async fn fetch_all<'c, T: FromRow>(self, on: impl Executor<'c>) -> Result<Vec<T>, StoreError> {
        Ok(match on.target() {
            Target::SqlitePool(pool) => self.sqlite_as::<T>()?.fetch_all(pool).await?,
            Target::Sqlite(conn) => self.sqlite_as::<T>()?.fetch_all(conn).await?,
            Target::PostgresPool(pool) => self.postgres_as::<T>()?.fetch_all(pool).await?,
            Target::Postgres(conn) => self.postgres_as::<T>()?.fetch_all(conn).await?,
        })
    }

    /// The first row, if any. Statements that write (`... RETURNING`) use
    /// [`Sql::fetch_all`] instead: stepping a statement only to its first row
    /// leaves it unfinished on SQLite, which then never checkpoints its WAL.
    pub async fn fetch_optional<'c, T: FromRow>(self, on: impl Executor<'c>) -> Result<Option<T>, StoreError> {
        Ok(match on.target() {
            Target::SqlitePool(pool) => self.sqlite_as::<T>()?.fetch_optional(pool).await?,
            Target::Sqlite(conn) => self.sqlite_as::<T>()?.fetch_optional(conn).await?,
            Target::PostgresPool(pool) => self.postgres_as::<T>()?.fetch_optional(pool).await?,
            Target::Postgres(conn) => self.postgres_as::<T>()?.fetch_optional(conn).await?,
        })
    }

    /// Exactly one row (an aggregate, `RETURNING` of a single insert).
    pub async fn fetch_one<'c, T: FromRow>(self, on: impl Executor<'c>) -> Result<T, StoreError> {
        self.fetch_all(on)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("the statement returned no row".into()))
    }

    /// Runs a statement; returns how many rows it changed.
    pub async fn execute<'c>(self, on: impl Executor<'c>) -> Result<u64, StoreError> {
        Ok(match on.target() {
            Target::SqlitePool(pool) => {
                let (text, args) = self.sqlite()?;
                sqlx::query_with(text, args).execute(pool).await?.rows_affected()
            }
            Target::Sqlite(conn) => {
                let (text, args) = self.sqlite()?;
                sqlx::query_with(text, args).execute(conn).await?.rows_affected()
            }
            Target::PostgresPool(pool) => {
                let (text, args) = self.postgres()?;
                sqlx::query_with(text, args).execute(pool).await?.rows_affected()
            }
            Target::Postgres(conn) => {
                let (text, args) = self.postgres()?;
                sqlx::query_with(text, args).execute(conn).await?.rows_affected()
            }
        })
    }

    fn sqlite_as<T: FromRow>(
        self,
    ) -> Result<sqlx::query::QueryAs<'static, sqlx::Sqlite, T, SqliteArguments>, StoreError> {
        let (text, args) = self.sqlite()?;
        Ok(sqlx::query_as_with(text, args))
    }

    fn postgres_as<T: FromRow>(
        self,
    ) -> Result<sqlx::query::QueryAs<'static, sqlx::Postgres, T, PgArguments>, StoreError> {
        let (text, args) = self.postgres()?;
        Ok(sqlx::query_as_with(text, args))
    }
}

/// From this many parameters on, SQLite gets `?` instead of `$1, $2, ...`
/// when they come in order, each once (multi-row inserts). sqlx asks SQLite
/// the name of every parameter it binds, and SQLite finds a numbered one's
/// name by walking the statement's list of names, so binding n of them
/// costs n²: intake's 32-ticket insert (672 parameters) spent 5 % of its CPU
/// there (docs/BENCHMARKS.md, issue 17). Anonymous ones have no name to
/// look for.
const MANY_PARAMS: usize = 32;

/// `text` with its placeholders `$1` to `$n` made `?`, when they appear in
/// that order, each once, outside quotes; else `None`.
fn anonymous_placeholders(text: &str, n: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut next, mut copied, mut i) = (1usize, 0usize, 0usize);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'$' => {
                let digits = bytes[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
                if digits == 0 || text[i + 1..i + 1 + digits].parse::<usize>().ok()? != next {
                    return None;
                }
                out.push_str(&text[copied..i]);
                out.push('?');
                next += 1;
                i += 1 + digits;
                copied = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    (next == n + 1).then_some(out)
}

/// The statement's text for sqlx: static text as it is, built text as
/// audited (only [`Sql::push`]ed trusted fragments, values are parameters).
struct SqlText(Cow<'static, str>);

impl sqlx::SqlSafeStr for SqlText {
    fn into_sql_str(self) -> sqlx::SqlStr {
        match self.0 {
            Cow::Borrowed(text) => text.into_sql_str(),
            Cow::Owned(text) => AssertSqlSafe(text).into_sql_str(),
        }
    }
}

/// Where a statement runs: a [`Conn`] (a pool, outside any transaction) or
/// a transaction ([`&mut Tx`](Tx)).
pub trait Executor<'c>: Send {
    #[doc(hidden)]
    fn target(self) -> Target<'c>;
}

#[doc(hidden)]
pub enum Target<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PostgresPool(&'c PgPool),
    Postgres(&'c mut PgConnection),
}

impl<'c> Executor<'c> for Conn<'c> {
    fn target(self) -> Target<'c> {
        match self {
            Conn::Sqlite(pool) => Target::SqlitePool(pool),
            Conn::Postgres(pool) => Target::PostgresPool(pool),
        }
    }
}

impl<'c> Executor<'c> for &'c mut Tx {
    fn target(self) -> Target<'c> {
        match self {
            Tx::Sqlite(tx) => Target::Sqlite(tx),
            Tx::Postgres(tx) => Target::Postgres(tx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::anonymous_placeholders;

    #[test]
    fn placeholders_in_order_become_anonymous() {
        let text = "INSERT INTO t (a, b) VALUES ($1, $2), ($3, '$9'), ($4, \"$x\")";
        assert_eq!(
            anonymous_placeholders(text, 4).as_deref(),
            Some("INSERT INTO t (a, b) VALUES (?, ?), (?, '$9'), (?, \"$x\")")
        );
    }

    #[test]
    fn anything_else_keeps_its_numbers() {
        assert_eq!(anonymous_placeholders("SELECT $1, $1", 1), None, "used twice");
        assert_eq!(anonymous_placeholders("SELECT $2, $1", 2), None, "out of order");
        assert_eq!(anonymous_placeholders("SELECT $1", 2), None, "fewer than bound");
        assert_eq!(anonymous_placeholders("SELECT $1, $2, $3", 2), None, "more than bound");
    }
}
