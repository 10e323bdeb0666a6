//! `POST /api/tickets` on Ahorro: the seed's legacy direction, where Tickets
//! posts a ticket's state (and courier) back, with the API key. It accepts
//! Tickets' versioned `ticket_actualizado` updates ([`TicketActualizacion`],
//! applied only if newer) and the plain `{numero, estado, repartidor}` of
//! old clients.

use axum::extract::State;
use belgrano_contract::ticket::{EVENTO_ACTUALIZACION, Numero, TicketActualizacion};
use belgrano_contract::validation::check_text;
use belgrano_contract::{Estado, FieldError};
use belgrano_platform::http::{Json, ServiceAuth, parse_timestamp};
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::pedido::{TicketUpdate, Versioned};

/// Reads either body into one update.
fn update(body: Value) -> Result<TicketUpdate, FieldError> {
    if body.get("evento").and_then(Value::as_str) == Some(EVENTO_ACTUALIZACION) {
        // Timestamps in the one spelling the document states (chrono alone
        // would also take unpadded or space-padded fields).
        for field in ["fecha_actualizacion", "fecha_en_camino", "fecha_entrega"] {
            if body.get(field).and_then(Value::as_str).is_some_and(|raw| parse_timestamp(raw).is_none()) {
                return Err(FieldError::new(field, "debe ser una fecha ISO 8601 (2024-12-01T12:00:00Z)"));
            }
        }
        let u: TicketActualizacion = serde_json::from_value(body)
            .map_err(|e| FieldError::new("body", format!("actualización inválida: {e}")))?;
        u.validate()?;
        return Ok(TicketUpdate {
            // Trimmed, as the plain body's: the order is found by its numero.
            numero: u.numero.trim().to_owned(),
            ticket_id: Some(u.ticket_id),
            estado: u.estado,
            repartidor: u.repartidor,
            versioned: Some(Versioned {
                version: u.version,
                fecha_en_camino: u.fecha_en_camino,
                fecha_entrega: u.fecha_entrega,
                motivo_cancelacion: u.motivo_cancelacion,
                intentos_fallidos: u.intentos_fallidos,
                motivo_intento: u.motivo_intento,
            }),
        });
    }
    let numero = body.get("numero").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let numero = numero.ok_or_else(|| FieldError::new("numero", "es obligatorio"))?;
    let numero = Numero::parse(numero).map_err(|e| FieldError::new("numero", e))?.to_string();
    let estado =
        body.get("estado").and_then(Value::as_str).ok_or_else(|| FieldError::new("estado", "es obligatorio"))?;
    let estado: Estado = estado.parse().map_err(|e| FieldError::new("estado", e))?;
    Ok(TicketUpdate {
        numero,
        ticket_id: body.get("ticket_id").and_then(Value::as_i64),
        estado,
        repartidor: match body.get("repartidor").and_then(Value::as_str) {
            Some(r) => Some(check_text("repartidor", r).map(|()| r.to_owned())?),
            None => None,
        },
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

#[cfg(test)]
mod tests {
    //! The document against the code: both update bodies as
    //! `api/openapi.json` states them are the ones read here.

    use belgrano_platform::http::text_patterns;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(crate::http::OPENAPI).unwrap()
    }

    fn versioned(field: &str, value: Value) -> Result<(), String> {
        let mut body = json!({"evento": "ticket_actualizado", "numero": "PED-1", "ticket_id": 1, "estado": "en-camino",
            "version": 2, "fecha_actualizacion": "2024-12-01T12:00:00Z"});
        body[field] = value;
        update(body).map(drop).map_err(|e| e.field)
    }

    #[test]
    fn the_documented_update_is_the_parsed_one() {
        let doc = document();
        let properties = &doc["components"]["schemas"]["ActualizacionTicket"]["properties"];
        for (field, max) in
            [("repartidor", 200), ("motivo_cancelacion", 2000), ("notas_repartidor", 2000), ("motivo_intento", 500)]
        {
            assert_eq!(properties[field]["pattern"], json!(text_patterns::untrimmed(Some(max))), "{field}");
            assert_eq!(versioned(field, json!(" ".repeat(max))), Ok(()), "{field}");
            assert_eq!(versioned(field, json!("a".repeat(max + 1))), Err(field.to_owned()), "{field}");
            assert_eq!(versioned(field, json!("a\u{0}")), Err(field.to_owned()), "{field}");
        }
        for field in ["fecha_actualizacion", "fecha_en_camino", "fecha_entrega"] {
            assert_eq!(versioned(field, json!("2024-02-29T23:59:60.5+05:30")), Ok(()), "{field}");
            for bad in ["2024-12-01 12:00:00Z", "2024-12-1T12:00:00Z", " 2024-12-01T12:00:00", "2023-02-29T00:00:00Z"] {
                assert_eq!(versioned(field, json!(bad)), Err(field.to_owned()), "{field}: {bad}");
            }
        }
        // A padded numero names the order without its spaces.
        let padded = update(json!({"evento": "ticket_actualizado", "numero": " PED-1\t", "ticket_id": 1,
            "estado": "en-camino", "version": 2, "fecha_actualizacion": "2024-12-01T12:00:00"}))
        .unwrap();
        assert_eq!(padded.numero, "PED-1");
        let plain = &doc["components"]["schemas"]["ActualizacionSimple"]["properties"];
        assert_eq!(plain["repartidor"]["pattern"], json!(text_patterns::untrimmed(None)));
        let plain_update =
            |repartidor: Value| update(json!({"numero": "PED-1", "estado": "entregado", "repartidor": repartidor}));
        assert!(plain_update(json!("a".repeat(5000))).is_ok());
        assert!(plain_update(json!(5)).is_ok(), "not a text: ignored");
        assert_eq!(plain_update(json!("a\u{1b}")).unwrap_err().field, "repartidor");
    }
}
