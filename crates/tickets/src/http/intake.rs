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

#[cfg(test)]
mod tests {
    //! The document against the code: every rule `NuevoTicket` states in
    //! `api/openapi.json` is the one the contract's parser applies, read
    //! from the document and tried on the parser at its boundaries.

    use belgrano_contract::money::MAX_PESOS;
    use belgrano_contract::ticket::{CANTIDAD_MAX, NUMERO_MAX_LEN, NuevoTicket, PRODUCTO_NOMBRE_MAX, PRODUCTOS_MAX};
    use belgrano_contract::{MetodoPago, Prioridad, TipoCliente};
    use belgrano_platform::http::text_patterns;
    use serde_json::{Value, json};

    fn document() -> Value {
        serde_json::from_str(crate::http::OPENAPI).unwrap()
    }

    /// The field `key` of `body` set to `value`, as the parser answers it:
    /// `Ok` or the field it names.
    fn parse_with(key: &str, value: Value) -> Result<(), String> {
        let mut body = json!({"numero": "PED-1", "cliente_nombre": "Ana", "total": 10});
        body[key] = value;
        NuevoTicket::from_json(&body).map(drop).map_err(|e| e.field)
    }

    /// The `n` of a trimmed-text pattern (`{0,n-2}`), checking that the
    /// pattern is exactly the one the platform spells for it.
    fn trimmed_max(pattern: &str, required: bool) -> usize {
        let n =
            pattern.split("{0,").nth(1).and_then(|rest| rest.split('}').next()).unwrap().parse::<usize>().unwrap() + 2;
        assert_eq!(pattern, text_patterns::trimmed(Some(n), required), "not the platform's spelling");
        n
    }

    #[test]
    fn every_text_rule_of_an_order_is_the_parser_s() {
        let doc = document();
        let properties = &doc["components"]["schemas"]["NuevoTicket"]["properties"];
        let required: Vec<&str> = doc["components"]["schemas"]["NuevoTicket"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in ["cliente_nombre", "cliente_direccion", "cliente_telefono", "indicaciones"] {
            let is_required = required.contains(&field);
            let max = trimmed_max(properties[field]["pattern"].as_str().unwrap(), is_required);
            assert_eq!(parse_with(field, json!("a".repeat(max))), Ok(()), "{field}: {max} characters");
            assert_eq!(parse_with(field, json!(format!(" \u{3000}{}\t", "ñ".repeat(max)))), Ok(()), "{field} padded");
            assert_eq!(parse_with(field, json!("a".repeat(max + 1))), Err(field.to_owned()), "{field}: {}", max + 1);
            assert_eq!(parse_with(field, json!("a\u{0}b")), Err(field.to_owned()), "{field}: a NUL");
            assert_eq!(parse_with(field, json!("a\nb\tc")), Ok(()), "{field}: line breaks");
            let blank = if is_required { Err(field.to_owned()) } else { Ok(()) };
            assert_eq!(parse_with(field, json!(" \u{85}")), blank, "{field}: blank");
        }
        let numero = properties["numero"]["pattern"].as_str().unwrap();
        assert!(numero.contains(&format!("[A-Za-z0-9_-]{{1,{NUMERO_MAX_LEN}}}")), "{numero}");
        assert_eq!(parse_with("numero", json!(format!(" {} ", "a".repeat(NUMERO_MAX_LEN)))), Ok(()));
        assert_eq!(parse_with("numero", json!("a".repeat(NUMERO_MAX_LEN + 1))), Err("numero".to_owned()));
        assert_eq!(properties["total"]["maximum"].as_f64(), Some(MAX_PESOS));
        assert_eq!(properties["productos"]["maxItems"].as_u64(), Some(PRODUCTOS_MAX as u64));
        let linea = &doc["components"]["schemas"]["ProductoPedido"]["properties"];
        assert_eq!(trimmed_max(linea["nombre"]["pattern"].as_str().unwrap(), true), PRODUCTO_NOMBRE_MAX);
        assert_eq!(linea["cantidad"]["maximum"].as_u64(), Some(CANTIDAD_MAX));
        let texto = &doc["components"]["schemas"]["ProductoTexto"]["anyOf"];
        assert_eq!(trimmed_max(texto[0]["pattern"].as_str().unwrap(), true), PRODUCTO_NOMBRE_MAX);
        assert!(texto[1]["pattern"].as_str().unwrap().contains(&format!("|{CANTIDAD_MAX})")));
    }

    #[test]
    fn every_enum_of_an_order_is_the_contract_s() {
        let doc = document();
        let properties = &doc["components"]["schemas"]["NuevoTicket"]["properties"];
        let listed = |field: &str| -> Vec<String> {
            let options = properties[field]["anyOf"][0]["enum"].as_array().unwrap();
            assert!(options.contains(&json!("")) && options.contains(&Value::Null), "{field}: empty is absent");
            options.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        };
        fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
            all.iter().map(|v| name(*v).to_owned()).collect()
        }
        assert_eq!(listed("metodo_pago"), names(MetodoPago::ALL, MetodoPago::as_str));
        assert_eq!(listed("prioridad"), names(Prioridad::ALL, Prioridad::as_str));
        assert_eq!(listed("tipo_cliente"), names(TipoCliente::ALL, TipoCliente::as_str));
        assert_eq!(listed("estado"), ["pendiente"]);
        for (field, value) in [("metodo_pago", " tarjeta "), ("prioridad", "\tbaja"), ("estado", " ")] {
            assert_eq!(parse_with(field, json!(value)), Ok(()), "{field}: {value:?}");
        }
        assert_eq!(parse_with("estado", json!("entregado")), Err("estado".to_owned()));
    }
}
