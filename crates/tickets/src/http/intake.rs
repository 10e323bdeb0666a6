//! `POST /api/tickets` and its legacy alias `POST /api/tickets/recibir`.

use axum::Json;
use axum::extract::State;
use belgrano_shared::ticket::{NuevoTicket, TicketCreado};

use super::AppState;
use super::extract::{JsonBody, RequestId, ServiceAuth};
use crate::error::ApiError;
use crate::intake::{IntakeOutcome, IntakeRequest};

pub async fn create_ticket(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody,
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
