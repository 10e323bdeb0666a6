//! The ceiling Tickets intake is compared with: the plainest axum service
//! that stores an order, one SQLite INSERT per request, on the same SQLite
//! settings as Tickets (WAL, `synchronous = NORMAL`, 5 s busy timeout, a
//! pool of 8). It reads `PORT` and `DATABASE_URL` like the services.
//!
//! The INSERT runs with `execute` and the id comes from
//! `last_insert_rowid()`: `fetch_one` on `INSERT ... RETURNING` would leave
//! the statement unfinished and stop WAL checkpoints (rust-stack.md).

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The columns of an order that a minimal service would keep.
#[derive(Deserialize)]
struct Order {
    numero: String,
    cliente_nombre: String,
    cliente_direccion: Option<String>,
    cliente_telefono: Option<String>,
    total: f64,
}

async fn create(State(pool): State<SqlitePool>, Json(order): Json<Order>) -> Result<Json<Value>, (StatusCode, String)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as i64;
    let done = sqlx::query(
        "INSERT INTO orders (numero, cliente_nombre, cliente_direccion, cliente_telefono, total_centavos, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&order.numero)
    .bind(&order.cliente_nombre)
    .bind(&order.cliente_direccion)
    .bind(&order.cliente_telefono)
    .bind((order.total * 100.0).round() as i64)
    .bind(now)
    .execute(&pool)
    .await
    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({"exito": true, "ticket_id": done.last_insert_rowid(), "numero": order.numero})))
}

/// Rows stored, for the driver's check that every 200 was a row.
async fn count(State(pool): State<SqlitePool>) -> Result<Json<Value>, (StatusCode, String)> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders")
        .fetch_one(&pool)
        .await
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({"count": n})))
}

async fn health(State(pool): State<SqlitePool>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(&pool).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5101);
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://data/baseline.db".to_owned());
    let options = SqliteConnectOptions::from_str(&url)?
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
    pool.close().await;
    Ok(())
}
