//! `POST /api/tickets` and its legacy alias `POST /api/tickets/recibir`.

use axum::Json;
use axum::extract::State;
use belgrano_contract::ticket::{NuevoTicket, TicketCreado};

use super::AppState;
use super::error::ApiError;
use crate::domain::intake::{IntakeOutcome, IntakeRequest};
use belgrano_platform::http::{Json as JsonBody, RequestId, ServiceAuth};

pub async fn create_ticket(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<TicketCreado>, ApiError> {
    let ticket = NuevoTicket::from_json(&body)?;
    match state.intake.submit(IntakeRequest::new(ticket.clone(), request_id)).await? {
        IntakeOutcome::Created { creado, .. } => {
            tracing::info!(
                ticket_id = creado.ticket_id,
                repartidor = creado.repartidor_asignado.as_deref().unwrap_or("sin asignar"),
                "Ticket recibido exitosamente: {} - {} ({}) - Prioridad: {}",
                ticket.numero,
                ticket.cliente_nombre,
                ticket.tipo_cliente.as_str().to_uppercase(),
                ticket.prioridad,
            );
            Ok(Json(creado))
        }
        IntakeOutcome::Repeated(creado) => {
            tracing::info!(ticket_id = creado.ticket_id, "Ticket repetido (idempotente): {}", ticket.numero);
            Ok(Json(creado))
        }
        IntakeOutcome::Conflict { numero } => {
            tracing::warn!("Ticket rechazado: {numero} ya existe con otros datos");
            Err(ApiError::IdempotencyConflict { numero })
        }
    }
}
