//! Deliveries Tickets refused for good (a 4xx), for an administrator: list
//! them and put one back in the queue. Protected by the service API key
//! (`X-API-Key`), like the other service endpoints.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::AppState;
use super::extract::ServiceAuth;
use crate::error::ApiError;

pub async fn failed(State(state): State<AppState>, _auth: ServiceAuth) -> Result<Json<Value>, ApiError> {
    let fallidos = state.store.failed_deliveries().await?;
    Ok(Json(json!({"count": fallidos.len(), "fallidos": fallidos})))
}

pub async fn retry(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("envío no encontrado"))?;
    if !state.store.retry_failed(id).await? {
        return Err(ApiError::NotFound("no hay un envío fallido con ese id"));
    }
    tracing::info!(outbox_id = id, "envío fallido devuelto a la cola por un administrador");
    state.deliveries.wake();
    Ok(Json(json!({"exito": true, "id": id, "estado": "pendiente"})))
}
