//! Health checks: `/health` (JSON, with a real database round trip; 503 when
//! the database is unreachable) and `/healthz` (plain `ok`, for load
//! balancers that only need to know the process answers).

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::http::wants_json;
use serde_json::{Value, json};

use super::AppState;
use super::auth::{MaybeUser, home_of};

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

/// `GET /`: where a person meant to go (their home, or the login page);
/// a JSON client gets the service's index.
pub async fn index(MaybeUser(user): MaybeUser, headers: HeaderMap) -> Response {
    if wants_json(&headers) {
        return Json(json!({
            "service": "belgrano-tickets",
            "api": ["POST /api/tickets", "GET /api/tickets", "GET /api/tickets/{id}"],
            "openapi": "/api/openapi.json",
            "health": "/health",
        }))
        .into_response();
    }
    match user {
        Some(user) => Redirect::to(home_of(&user)).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}
