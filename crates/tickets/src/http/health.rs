//! Health checks: `/health` (JSON, with a real database round trip; 503 when
//! the database is unreachable) and `/healthz` (plain `ok`, for load
//! balancers that only need to know the process answers).

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let started = Instant::now();
    let database = state.store.db().ping().await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, db) = match database {
        Ok(()) => (
            StatusCode::OK,
            json!({"status": "ok", "backend": state.store.db().backend().as_str(), "latency_ms": latency_ms}),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "error", "backend": state.store.db().backend().as_str()}),
            )
        }
    };
    let body = json!({
        "status": if status.is_success() { "ok" } else { "error" },
        "service": "belgrano-tickets",
        "version": env!("CARGO_PKG_VERSION"),
        "database": db,
        "socket_clients": state.broadcaster.connected_clients().await,
    });
    (status, Json(body))
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn index() -> &'static str {
    "Belgrano Tickets\n\nAPI: POST /api/tickets, GET /api/tickets, GET /api/tickets/{id} (X-API-Key)\nSalud: GET /health\n"
}
