//! Status updates Ahorro refused for good (a 4xx): listed for a person and
//! retried by hand, never dropped silently.

use axum::Json;
use axum::extract::{Path, State};
use belgrano_contract::ticket::TicketActualizacion;
use serde::Serialize;

use super::AppState;
use super::auth::DeskAuth;
use super::error::ApiError;

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
    let parked = state.store.notify_outbox().parked().await?;
    Ok(Json(
        parked
            .into_iter()
            .map(|row| {
                // The update itself names its ticket and version.
                let update = serde_json::from_str::<TicketActualizacion>(&row.payload).ok();
                FailedUpdate {
                    id: row.id,
                    ticket_id: update.as_ref().map_or(0, |u| u.ticket_id),
                    numero: row.subject,
                    version: update.as_ref().map_or(0, |u| u.version),
                    intentos: i32::try_from(row.attempts).unwrap_or(i32::MAX),
                    ultimo_error: row.last_error,
                }
            })
            .collect(),
    ))
}

/// `POST /api/notificaciones/{id}/reintentar`: back in the queue.
pub async fn retry(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.require_desk()?;
    // As for tickets, an id that is not an integer names nothing: a 404 in
    // the API's JSON (axum's own rejection would be a plain-text 400).
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::NotFound("no hay una notificación fallida con ese id"));
    };
    if state.store.notify_outbox().retry_parked(id).await? {
        state.lifecycle.wake_notifier();
        Ok(Json(serde_json::json!({"exito": true, "id": id})))
    } else {
        Err(ApiError::NotFound("no hay una notificación fallida con ese id"))
    }
}
