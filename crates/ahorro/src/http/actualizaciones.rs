//! `POST /api/tickets` on Ahorro: the seed's legacy direction, where Tickets
//! posts a ticket's state (and courier) back, with the API key. It accepts
//! Tickets' versioned `ticket_actualizado` updates ([`TicketActualizacion`],
//! applied only if newer) and the plain `{numero, estado, repartidor}` of
//! old clients.

use axum::extract::State;
use belgrano_contract::ticket::{EVENTO_ACTUALIZACION, TicketActualizacion};
use belgrano_contract::{Estado, FieldError};
use belgrano_platform::http::{Json, ServiceAuth};
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::pedido::{TicketUpdate, Versioned};

/// Reads either body into one update.
fn update(body: Value) -> Result<TicketUpdate, FieldError> {
    if body.get("evento").and_then(Value::as_str) == Some(EVENTO_ACTUALIZACION) {
        let u: TicketActualizacion = serde_json::from_value(body)
            .map_err(|e| FieldError::new("body", format!("actualización inválida: {e}")))?;
        return Ok(TicketUpdate {
            numero: u.numero,
            ticket_id: Some(u.ticket_id),
            estado: u.estado,
            repartidor: u.repartidor,
            versioned: Some(Versioned {
                version: u.version,
                fecha_en_camino: u.fecha_en_camino,
                fecha_entrega: u.fecha_entrega,
                motivo_cancelacion: u.motivo_cancelacion,
            }),
        });
    }
    let numero = body.get("numero").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let numero = numero.ok_or_else(|| FieldError::new("numero", "es obligatorio"))?.to_owned();
    let estado =
        body.get("estado").and_then(Value::as_str).ok_or_else(|| FieldError::new("estado", "es obligatorio"))?;
    let estado: Estado = estado.parse().map_err(|e| FieldError::new("estado", e))?;
    Ok(TicketUpdate {
        numero,
        ticket_id: body.get("ticket_id").and_then(Value::as_i64),
        estado,
        repartidor: body.get("repartidor").and_then(Value::as_str).map(str::to_owned),
        versioned: None,
    })
}

pub async fn receive(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    let update = update(body)?;
    if !state.store.apply_ticket_update(&update).await? {
        return Err(ApiError::NotFound("pedido no encontrado"));
    }
    // Committed: open tracking pages re-read the order.
    state.novedades.publish(&update.numero);
    let TicketUpdate { numero, estado, .. } = update;
    tracing::info!(estado = %estado, "estado del ticket recibido para el pedido {numero}");
    Ok(axum::Json(json!({"exito": true, "numero": numero, "estado": estado})))
}
