//! `POST /api/tickets` on Ahorro: the seed's legacy direction, where Tickets
//! posts a ticket's state (and courier) back, with the API key. It accepts
//! Tickets' versioned `ticket_actualizado` updates (applied only if newer)
//! and the plain `{numero, estado, repartidor}` of old clients.

use axum::Json;
use axum::extract::State;
use belgrano_shared::ticket::{EVENTO_ACTUALIZACION, TicketActualizacion};
use belgrano_shared::{Estado, FieldError};
use serde_json::{Value, json};

use super::AppState;
use super::extract::{JsonBody, ServiceAuth};
use crate::error::ApiError;

pub async fn status_update(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut detalle = None;
    let (numero, ticket_id, estado, repartidor, version) = if body.get("evento").and_then(Value::as_str)
        == Some(EVENTO_ACTUALIZACION)
    {
        let u: TicketActualizacion = serde_json::from_value(body)
            .map_err(|e| FieldError::new("body", format!("actualización inválida: {e}")))?;
        detalle = Some((u.fecha_en_camino, u.fecha_entrega, u.motivo_cancelacion.clone()));
        (u.numero, Some(u.ticket_id), u.estado, u.repartidor, Some(u.version))
    } else {
        let numero = body.get("numero").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let numero = numero.ok_or_else(|| FieldError::new("numero", "es obligatorio"))?.to_owned();
        let estado =
            body.get("estado").and_then(Value::as_str).ok_or_else(|| FieldError::new("estado", "es obligatorio"))?;
        let estado: Estado = estado.parse().map_err(|e| FieldError::new("estado", e))?;
        let repartidor = body.get("repartidor").and_then(Value::as_str).map(str::to_owned);
        let ticket_id = body.get("ticket_id").and_then(Value::as_i64);
        (numero, ticket_id, estado, repartidor, None)
    };
    let found =
        state.store.apply_ticket_update(&numero, ticket_id, estado.as_str(), repartidor.as_deref(), version).await?;
    if !found {
        return Err(ApiError::NotFound("pedido no encontrado"));
    }
    if let (Some(version), Some((en_camino, entrega, motivo))) = (version, detalle) {
        state.store.record_ticket_fechas(&numero, version, en_camino, entrega, motivo.as_deref()).await?;
    }
    // Committed: open tracking pages re-read the order.
    state.novedades.publish(&numero);
    tracing::info!(estado = %estado, "estado del ticket recibido para el pedido {numero}");
    Ok(Json(json!({"exito": true, "numero": numero, "estado": estado})))
}
