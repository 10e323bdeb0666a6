//! The ceiling Tickets intake is compared with: the plainest axum service
//! that stores an order, one INSERT per request. It reads `PORT` and
//! `DATABASE_URL` like the services, and runs on either backend with the
//! services' settings:
//!
//! - SQLite: WAL, `synchronous = NORMAL`, 5 s busy timeout, a pool of 8.
//!   The INSERT runs with `execute` and the id comes from
//!   `last_insert_rowid()`: `fetch_one` on `INSERT ... RETURNING` would
//!   leave the statement unfinished and stop WAL checkpoints (rust-stack.md).
//! - PostgreSQL (`postgres://…`): a pool of 10 (as Tickets), server defaults
//!   (each INSERT commits durably), `INSERT ... RETURNING id`.

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// The columns of an order that a minimal service would keep.
#[derive(Deserialize)]
struct Order {
    numero: String,
    cliente_nombre: String,
    cliente_direccion: Option<String>,
    cliente_telefono: Option<String>,
    total: f64,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

const INSERT_SQLITE: &str =
    "INSERT INTO orders (numero, cliente_nombre, cliente_direccion, cliente_telefono, total_centavos, created_at)
     VALUES (?, ?, ?, ?, ?, ?)";
const INSERT_POSTGRES: &str =
    "INSERT INTO orders (numero, cliente_nombre, cliente_direccion, cliente_telefono, total_centavos, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

type Answer = Result<Json<Value>, (StatusCode, String)>;

fn internal(e: sqlx::Error) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn create(State(pool): State<Pool>, Json(order): Json<Order>) -> Answer {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as i64;
    let total = (order.total * 100.0).round() as i64;
    let id = match &pool {
        Pool::Sqlite(pool) => sqlx::query(INSERT_SQLITE)
            .bind(&order.numero)
            .bind(&order.cliente_nombre)
            .bind(&order.cliente_direccion)
            .bind(&order.cliente_telefono)
            .bind(total)
            .bind(now)
            .execute(pool)
            .await
            .map_err(internal)?
            .last_insert_rowid(),
        Pool::Postgres(pool) => {
            let (id,): (i64,) = sqlx::query_as(INSERT_POSTGRES)
                .bind(&order.numero)
                .bind(&order.cliente_nombre)
                .bind(&order.cliente_direccion)
                .bind(&order.cliente_telefono)
                .bind(total)
                .bind(now)
                .fetch_one(pool)
                .await
                .map_err(internal)?;
            id
        }
    };
    Ok(Json(json!({"exito": true, "ticket_id": id, "numero": order.numero})))
}

/// Rows stored, for the driver's check that every 200 was a row.
async fn count(State(pool): State<Pool>) -> Answer {
    const COUNT: &str = "SELECT COUNT(*) FROM orders";
    let (n,): (i64,) = match &pool {
        Pool::Sqlite(pool) => sqlx::query_as(COUNT).fetch_one(pool).await,
        Pool::Postgres(pool) => sqlx::query_as(COUNT).fetch_one(pool).await,
    }
    .map_err(internal)?;
    Ok(Json(json!({"count": n})))
}

async fn health(State(pool): State<Pool>) -> StatusCode {
    let ok = match &pool {
        Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
        Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
    };
    if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }
}

async fn connect(url: &str) -> anyhow::Result<Pool> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(10).connect(url).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS orders (
                id BIGSERIAL PRIMARY KEY,
                numero TEXT NOT NULL UNIQUE,
                cliente_nombre TEXT NOT NULL,
                cliente_direccion TEXT,
                cliente_telefono TEXT,
                total_centavos BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            )",
        )
        .execute(&pool)
        .await?;
        return Ok(Pool::Postgres(pool));
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS orders (
            id INTEGER PRIMARY KEY,
            numero TEXT NOT NULL UNIQUE,
            cliente_nombre TEXT NOT NULL,
            cliente_direccion TEXT,
            cliente_telefono TEXT,
            total_centavos INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        )",
    )
    .execute(&pool)
    .await?;
    Ok(Pool::Sqlite(pool))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5101);
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://data/baseline.db".to_owned());
    let pool = connect(&url).await?;

    let app = Router::new()
        .route("/api/tickets", post(create))
        .route("/count", get(count))
        .route("/health", get(health))
        .with_state(pool.clone());
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // The driver stops servers with SIGTERM.
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    // Closing checkpoints the WAL, as the Tickets service does on shutdown.
    match pool {
        Pool::Sqlite(pool) => pool.close().await,
        Pool::Postgres(pool) => pool.close().await,
    }
    Ok(())
}
