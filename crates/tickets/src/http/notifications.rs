//! Status updates Ahorro refused for good (a 4xx): listed for a person and
//! retried by hand, never dropped silently.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::AppState;
use super::extract::DeskAuth;
use crate::error::ApiError;

#[derive(Serialize)]
pub struct FailedUpdate {
    pub id: i64,
    pub ticket_id: i64,
    pub numero: String,
    pub version: i64,
    pub intentos: i32,
    pub ultimo_error: Option<String>,
}

/// `GET /api/notificaciones/fallidas`.
pub async fn failed(State(state): State<AppState>, auth: DeskAuth) -> Result<Json<Vec<FailedUpdate>>, ApiError> {
    auth.require_desk()?;
    let items = state.store.failed_updates().await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| FailedUpdate {
                id: i.id,
                ticket_id: i.ticket_id,
                numero: i.numero,
                version: i.version,
                intentos: i.attempts,
                ultimo_error: i.last_error,
            })
            .collect(),
    ))
}

/// `POST /api/notificaciones/{id}/reintentar`: back in the queue.
pub async fn retry(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.require_desk()?;
    if state.store.retry_failed_update(id).await? {
        state.lifecycle.wake_notifier();
        Ok(Json(serde_json::json!({"exito": true, "id": id})))
    } else {
        Err(ApiError::NotFound("no hay una notificación fallida con ese id"))
    }
}
