//! Test support for every test crate of the workspace (never a dependency
//! of a service): a database per test on either backend, the scenario
//! macro that runs a test on both, small helpers, the OpenAPI checker and a
//! minimal Socket.IO client, and a real SMTP server ([`smtp`]).
//!
//! Each test gets its own database: a temporary SQLite file, or a fresh
//! PostgreSQL database on the server `TEST_DATABASE_URL` names (`.ci/run`
//! sets it; test databases are named `*_test_*` so CI can drop leftovers).

pub mod openapi;
pub mod smtp;
pub mod socket_client;

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set.
    pub fn available() -> Vec<Backend> {
        let mut all = vec![Backend::Sqlite];
        if postgres_configured() {
            all.push(Backend::Postgres);
        }
        all
    }
}

/// Whether `TEST_DATABASE_URL` names a PostgreSQL server for the tests.
pub fn postgres_configured() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok()
}

/// A database that outlives one run of a service, so restarts and crashes
/// can be tested on it.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL it was created from, and its name.
    created_on: Option<(String, String)>,
}

impl TestDb {
    /// A new empty database. PostgreSQL needs `TEST_DATABASE_URL` (panics
    /// without it: ask [`Backend::available`] or use [`TestDb::postgres`]).
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("belgrano.db").display());
                TestDb { url, backend, _dir: Some(dir), created_on: None }
            }
            Backend::Postgres => TestDb::postgres().await.expect("TEST_DATABASE_URL is set"),
        }
    }

    /// A new PostgreSQL database, or `None` when `TEST_DATABASE_URL` is unset.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
        Some(TestDb::postgres_on(&admin_url).await.expect("TEST_DATABASE_URL reachable"))
    }

    /// A new PostgreSQL database beside the one `admin_url`
    /// (`postgres://…/database`) names.
    pub async fn postgres_on(admin_url: &str) -> Result<TestDb, sqlx::Error> {
        let name = format!("belgrano_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').expect("the PostgreSQL URL ends in /database");
        let url = format!("{base}/{name}");
        Ok(TestDb { url, backend: Backend::Postgres, _dir: None, created_on: Some((admin_url.to_owned(), name)) })
    }

    /// Drops a PostgreSQL database now (whoever still uses it is cut off);
    /// a SQLite file goes with its directory. Tests leave theirs to
    /// `.ci/run`'s cleanup; the benchmark, which makes several per run,
    /// drops them.
    pub async fn remove(self) -> Result<(), sqlx::Error> {
        if let Some((admin_url, name)) = &self.created_on {
            let admin = sqlx::PgPool::connect(admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&admin)
                .await?;
            admin.close().await;
        }
        Ok(())
    }
}

/// Runs a scenario once per backend: always on SQLite, and on PostgreSQL
/// when `TEST_DATABASE_URL` is set (otherwise the PostgreSQL variant says
/// so on stderr and passes: `.ci/run` always sets it).
///
/// - `on_both_backends!(scenario)` calls `async fn scenario(backend: Backend)`;
/// - `on_both_backends!(name, |db: TestDb| async move { ... })` hands the
///   body a fresh database.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::postgres_configured() {
                    super::$name($crate::Backend::Postgres).await;
                } else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                }
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::TestDb::new($crate::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::TestDb::postgres().await {
                    Some(db) => ($body)(db).await,
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run"),
                }
            }
        }
    };
}

/// Polls `check` every 100 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
pub fn urlencode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}
