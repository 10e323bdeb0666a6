//! Health checks: `/test` (the seed's Ahorro check), `/healthz` (alive),
//! `/health` (database, whether Tickets is reachable with its latency, and
//! the outbox's backlog).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::state::AppState;

pub async fn test() -> impl IntoResponse {
    Json(json!({"status": "ok", "service": "belgrano-ahorro", "message": "Belgrano Ahorro funcionando"}))
}

pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let (db, (tickets_ok, latency), backlog) =
        tokio::join!(state.store.db().ping(), state.tickets.probe(), state.store.outbox().stats());
    let db_ok = db.is_ok();
    let (pendientes, fallidos) = backlog.map_or((-1, -1), |s| (s.pending, s.failed));
    let body = json!({
        "status": if db_ok { "ok" } else { "error" },
        "service": "belgrano-ahorro",
        "database": {"ok": db_ok, "backend": state.store.db().backend().as_str()},
        "ticketera": {
            "url": state.settings.ticketera_url,
            "reachable": tickets_ok,
            "latency_ms": latency.as_millis() as u64,
        },
        "envios": {"pendientes": pendientes, "fallidos": fallidos},
    });
    // Tickets being down does not make the shop unhealthy: orders queue.
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}
