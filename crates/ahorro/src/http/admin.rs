//! Deliveries Tickets refused for good (a 4xx), for an administrator: list
//! them and put one back in the queue. Protected by the service API key
//! (`X-API-Key`), like the other service endpoints.

use axum::Json;
use axum::extract::{Path, State};
use belgrano_platform::http::ServiceAuth;
use serde::Serialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::AppState;

/// A parked delivery as the old API showed it.
#[derive(Serialize)]
struct Fallido {
    id: i64,
    numero: String,
    estado: &'static str,
    intentos: i64,
    ultimo_error: Option<String>,
}

pub async fn failed(State(state): State<AppState>, _auth: ServiceAuth) -> Result<Json<Value>, ApiError> {
    let fallidos: Vec<Fallido> = state
        .store
        .outbox()
        .parked()
        .await?
        .into_iter()
        .map(|p| Fallido {
            id: p.id,
            numero: p.subject,
            estado: "fallido",
            intentos: p.attempts,
            ultimo_error: p.last_error,
        })
        .collect();
    Ok(Json(json!({"count": fallidos.len(), "fallidos": fallidos})))
}

pub async fn retry(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("envío no encontrado"))?;
    if !state.store.outbox().retry_parked(id).await? {
        return Err(ApiError::NotFound("no hay un envío fallido con ese id"));
    }
    tracing::info!(outbox_id = id, "envío fallido devuelto a la cola por un administrador");
    state.outbox_worker.wake();
    Ok(Json(json!({"exito": true, "id": id, "estado": "pendiente"})))
}
