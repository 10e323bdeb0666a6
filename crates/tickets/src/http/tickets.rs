//! Reading tickets: `GET /api/tickets` (filters, paging) and
//! `GET /api/tickets/{id}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use belgrano_contract::ticket::Ticket;
use belgrano_contract::validation::check_text;
use belgrano_contract::{Estado, FieldError, Prioridad};
use belgrano_platform::http::{parse_date, parse_timestamp};
use chrono::{TimeZone, Utc};
use serde::Serialize;

use super::AppState;
use super::auth::DeskAuth;
use super::error::ApiError;
use crate::domain::change::{CourierChoice, MOTIVO_INTENTO_MAX, TicketChange};
use crate::store::{CourierFilter, TicketFilter};
use belgrano_platform::http::Json as JsonBody;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;
/// Largest `offset`: deeper pages go by `cursor`.
pub const MAX_OFFSET: i64 = 1_000_000;
/// Longest text a change takes (`estado`, `motivo`, `nota`), spaces included.
pub const CHANGE_TEXT_MAX: usize = 500;
/// Longest `indicaciones` an edit takes (as the intake's).
pub const INDICACIONES_MAX: usize = 2000;

#[derive(Serialize)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub count: usize,
    pub limit: i64,
    pub offset: i64,
    /// Pass as `cursor` to get the next (older) page; `null` on the last.
    pub next_cursor: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    auth: DeskAuth,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<TicketPage>, ApiError> {
    let mut filter = parse_filter(&params)?;
    if let Some(courier) = auth.courier_scope() {
        filter.repartidor = Some(CourierFilter::Id(courier));
    }
    let tickets = state.store.tickets(&filter).await?;
    let next_cursor = (tickets.len() as i64 == filter.limit).then(|| tickets.last().map(|t| t.id)).flatten();
    Ok(Json(TicketPage { count: tickets.len(), limit: filter.limit, offset: filter.offset, next_cursor, tickets }))
}

pub async fn show(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
) -> Result<Json<Ticket>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    visible_ticket(&state, &auth, id).await.map(Json)
}

/// A ticket this caller may see: a courier only sees their own (another's
/// answers 404, as if it did not exist).
async fn visible_ticket(state: &AppState, auth: &DeskAuth, id: i64) -> Result<Ticket, ApiError> {
    match state.store.ticket(id).await? {
        Some(ticket) if auth.courier_scope().is_none_or(|c| ticket.repartidor_id == Some(c)) => Ok(ticket),
        _ => Err(ApiError::NotFound("ticket no encontrado")),
    }
}

/// Turns query parameters into a filter, naming the parameter at fault.
/// Values are trimmed, and an empty one is no filter (as a form sends an
/// empty field); `crates/tickets/api/openapi.json` states each rule.
fn parse_filter(params: &HashMap<String, String>) -> Result<TicketFilter, FieldError> {
    let get = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    // Free text reaches the database as a parameter: text it could not
    // store (a NUL) is refused here, not by PostgreSQL as an outage.
    let text = |k: &'static str| get(k).map(|v| check_text(k, v).map(|()| v)).transpose();
    let int = |k: &'static str, min: i64, max: i64| -> Result<Option<i64>, FieldError> {
        get(k)
            .map(|raw| match raw.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(FieldError::new(k, format!("debe ser un entero entre {min} y {max}"))),
            })
            .transpose()
    };
    let fecha = |k: &'static str, end_of_day: bool| -> Result<Option<chrono::DateTime<Utc>>, FieldError> {
        get(k)
            .map(|raw| {
                if let Some(at) = parse_timestamp(raw) {
                    return Ok(at);
                }
                // A plain date covers the whole day (`hasta=2024-12-01` includes that day).
                parse_date(raw)
                    .and_then(|d| if end_of_day { d.succ_opt() } else { Some(d) })
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|naive| Utc.from_utc_datetime(&naive))
                    .ok_or_else(|| {
                        FieldError::new(k, "debe ser una fecha ISO 8601 (2024-12-01 o 2024-12-01T12:00:00Z)")
                    })
            })
            .transpose()
    };
    Ok(TicketFilter {
        estado: get("estado").map(str::parse::<Estado>).transpose().map_err(|e| FieldError::new("estado", e))?,
        repartidor: text("repartidor")?.map(|raw| match raw.parse::<i64>() {
            Ok(id) => CourierFilter::Id(id),
            Err(_) if raw == "sin-asignar" || raw == "ninguno" => CourierFilter::Unassigned,
            Err(_) => CourierFilter::Nombre(raw.to_owned()),
        }),
        desde: fecha("desde", false)?,
        hasta: fecha("hasta", true)?,
        q: text("q")?.map(|q| q.chars().take(100).collect()),
        limit: int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        offset: int("offset", 0, MAX_OFFSET)?.unwrap_or(0),
        before_id: int("cursor", 1, i64::MAX)?,
    })
}

/// `PATCH /api/tickets/{id}`: `{"estado": ...}` and/or `{"repartidor_id": n | null}`,
/// with `motivo` (to cancel) and `nota` (on delivery). The same rules as the
/// pages: invalid transitions answer 409.
pub async fn update(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<Ticket>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    let change = parse_change(&body)?;
    let ticket = state.lifecycle.change(id, &change, &auth.actor()).await?;
    Ok(Json(ticket))
}

/// `POST /api/tickets/{id}/intento-fallido` with `{"motivo": ...}`: the
/// delivery failed; the ticket goes back to `pendiente`, unassigned.
pub async fn intento_fallido(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<Ticket>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    let motivo = parse_motivo_intento(&body)?;
    let ticket = state.lifecycle.intento_fallido(id, &motivo, &auth.actor()).await?;
    Ok(Json(ticket))
}

/// The `motivo` of a failed attempt: required, trimmed, bounded.
fn parse_motivo_intento(body: &serde_json::Value) -> Result<String, FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "se espera un objeto JSON"))?;
    match obj.get("motivo") {
        None | Some(serde_json::Value::Null) => Err(FieldError::new("motivo", "es obligatorio")),
        Some(serde_json::Value::String(s)) => {
            // Counted as sent, spaces included (as a change's texts are).
            let motivo = s.trim();
            if s.chars().count() > MOTIVO_INTENTO_MAX {
                Err(FieldError::new("motivo", format!("no puede superar {MOTIVO_INTENTO_MAX} caracteres")))
            } else if motivo.is_empty() {
                Err(FieldError::new("motivo", "es obligatorio"))
            } else {
                check_text("motivo", motivo)?;
                Ok(motivo.to_owned())
            }
        }
        Some(_) => Err(FieldError::new("motivo", "debe ser un texto")),
    }
}

/// `DELETE /api/tickets/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    state.lifecycle.delete(id, &auth.actor()).await?;
    Ok(Json(serde_json::json!({"exito": true, "ticket_id": id})))
}

#[derive(Serialize)]
pub struct HistoryLine {
    pub seq: i64,
    pub evento: String,
    pub quien: String,
    pub detalle: String,
    #[serde(with = "belgrano_contract::ticket::fecha")]
    pub fecha: chrono::DateTime<Utc>,
}

/// `GET /api/tickets/{id}/historial`: every change, oldest first.
pub async fn history(
    State(state): State<AppState>,
    auth: DeskAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryLine>>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    if auth.courier_scope().is_some() {
        visible_ticket(&state, &auth, id).await?;
    }
    let entries = state.store.history(id).await?;
    if entries.is_empty() {
        return Err(ApiError::NotFound("ticket no encontrado"));
    }
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryLine { seq: e.seq, evento: e.kind, quien: e.actor, detalle: e.detail, fecha: e.at })
            .collect(),
    ))
}

/// Reads a change request, naming the field at fault.
fn parse_change(body: &serde_json::Value) -> Result<TicketChange, FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "se espera un objeto JSON"))?;
    let text = |key: &str| -> Result<Option<String>, FieldError> {
        match obj.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.chars().count() <= CHANGE_TEXT_MAX => Ok(Some(s.trim().to_owned())),
            Some(serde_json::Value::String(_)) => {
                Err(FieldError::new(key, format!("no puede superar {CHANGE_TEXT_MAX} caracteres")))
            }
            Some(_) => Err(FieldError::new(key, "debe ser un texto")),
        }
    };
    let estado = text("estado")?.map(|e| e.parse::<Estado>()).transpose().map_err(|e| FieldError::new("estado", e))?;
    let repartidor = match obj.get("repartidor_id") {
        None => None,
        Some(serde_json::Value::Null) => Some(CourierChoice::Unassign),
        Some(v) => Some(CourierChoice::Assign(
            v.as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| FieldError::new("repartidor_id", "debe ser un id de repartidor o null"))?,
        )),
    };
    let prioridad =
        text("prioridad")?.map(|p| p.parse::<Prioridad>()).transpose().map_err(|e| FieldError::new("prioridad", e))?;
    // Indicaciones may be longer, and "" clears them.
    let indicaciones = match obj.get("indicaciones") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.chars().count() <= INDICACIONES_MAX => {
            let s = s.trim();
            check_text("indicaciones", s)?;
            Some((!s.is_empty()).then(|| s.to_owned()))
        }
        Some(serde_json::Value::String(_)) => {
            return Err(FieldError::new("indicaciones", format!("no puede superar {INDICACIONES_MAX} caracteres")));
        }
        Some(_) => return Err(FieldError::new("indicaciones", "debe ser un texto")),
    };
    let cliente_direccion = match text("cliente_direccion")? {
        Some(d) if d.is_empty() => return Err(FieldError::new("cliente_direccion", "no puede estar vacía")),
        other => other,
    };
    if estado.is_none()
        && repartidor.is_none()
        && prioridad.is_none()
        && indicaciones.is_none()
        && cliente_direccion.is_none()
    {
        return Err(FieldError::new(
            "estado",
            "indique 'estado', 'repartidor_id', 'prioridad', 'indicaciones' o 'cliente_direccion'",
        ));
    }
    Ok(TicketChange {
        estado,
        repartidor,
        motivo: text("motivo")?,
        nota: text("nota")?,
        prioridad,
        indicaciones,
        cliente_direccion,
    })
}

#[cfg(test)]
mod tests {
    //! The document against the code: the filters and the change body as
    //! `api/openapi.json` states them are the ones parsed here.

    use belgrano_platform::http::text_patterns;
    use serde_json::{Value, json};

    use super::*;

    fn document() -> Value {
        serde_json::from_str(crate::http::OPENAPI).unwrap()
    }

    fn filter(query: &[(&str, &str)]) -> Result<TicketFilter, String> {
        let params = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse_filter(&params).map_err(|e| e.field)
    }

    #[test]
    fn the_documented_filters_are_the_parsed_ones() {
        let doc = document();
        let parameters = doc["paths"]["/api/tickets"]["get"]["parameters"].as_array().unwrap();
        let schema = |name: &str| &parameters.iter().find(|p| p["name"] == name).unwrap()["schema"];
        assert_eq!(schema("limit")["maximum"], json!(MAX_LIMIT));
        assert_eq!(schema("limit")["default"], json!(DEFAULT_LIMIT));
        assert_eq!(schema("offset")["maximum"], json!(MAX_OFFSET));
        assert_eq!(schema("cursor")["maximum"], json!(i64::MAX));
        for (name, min, max) in [("limit", 1, MAX_LIMIT), ("offset", 0, MAX_OFFSET), ("cursor", 1, i64::MAX)] {
            assert_eq!(schema(name)["minimum"], json!(min));
            for ok in [min, max] {
                assert!(filter(&[(name, &ok.to_string())]).is_ok(), "{name}={ok}");
            }
            assert_eq!(filter(&[(name, &(min - 1).to_string())]).err().as_deref(), Some(name));
            if max < i64::MAX {
                assert_eq!(filter(&[(name, &(max + 1).to_string())]).err().as_deref(), Some(name));
            }
            assert!(filter(&[(name, " ")]).is_ok(), "{name}: empty is the default");
        }
        let estados = schema("estado")["anyOf"][0]["enum"].as_array().unwrap();
        let mut expected: Vec<Value> = Estado::ALL.iter().map(|e| json!(e.as_str())).collect();
        expected.push(json!(""));
        assert_eq!(estados, &expected);
        for name in ["q", "repartidor"] {
            assert_eq!(schema(name)["pattern"], json!(text_patterns::trimmed(None, false)), "{name}");
            assert_eq!(filter(&[(name, "a\u{0}")]).err().as_deref(), Some(name));
        }
        for name in ["desde", "hasta"] {
            for ok in [" 2024-02-29 ", "2024-02-29T23:59:60.5-03:00", "2024-02-29T10:00:00", "\t"] {
                assert!(filter(&[(name, ok)]).is_ok(), "{name}={ok:?}");
            }
            for bad in ["2023-02-29", "2024-2-29", "2024-02-29 10:00:00Z", "ayer"] {
                assert_eq!(filter(&[(name, bad)]).err().as_deref(), Some(name), "{bad}");
            }
        }
    }

    #[test]
    fn the_documented_intento_is_the_parsed_one() {
        let doc = document();
        let motivo = &doc["components"]["schemas"]["IntentoFallido"]["properties"]["motivo"];
        assert_eq!(motivo["maxLength"], json!(MOTIVO_INTENTO_MAX));
        assert_eq!(motivo["pattern"], json!(text_patterns::trimmed(None, true)));
        let parsed = |v: Value| parse_motivo_intento(&json!({"motivo": v})).map_err(|e| e.field);
        assert_eq!(parsed(json!(" Portón cerrado\n")), Ok("Portón cerrado".to_owned()));
        assert_eq!(parsed(json!(format!("{}x", " ".repeat(MOTIVO_INTENTO_MAX - 1)))), Ok("x".to_owned()));
        for bad in
            [json!(format!("{}x", " ".repeat(MOTIVO_INTENTO_MAX))), json!(" "), json!(null), json!(1), json!("a\u{0}")]
        {
            assert_eq!(parsed(bad.clone()), Err("motivo".to_owned()), "{bad}");
        }
        assert_eq!(parse_motivo_intento(&json!([])).unwrap_err().field, "body");
    }

    #[test]
    fn the_documented_change_is_the_parsed_one() {
        let doc = document();
        let cambio = &doc["components"]["schemas"]["CambioTicket"]["properties"];
        for field in ["estado", "motivo", "nota"] {
            assert_eq!(cambio[field]["maxLength"], json!(CHANGE_TEXT_MAX), "{field}");
            let mut body = json!({"estado": "cancelado"});
            body[field] = json!(format!("{}cancelado", " ".repeat(CHANGE_TEXT_MAX + 1 - "cancelado".len())));
            assert_eq!(parse_change(&body).unwrap_err().field, field);
        }
        for field in ["motivo", "nota"] {
            assert_eq!(cambio[field]["pattern"], json!(text_patterns::trimmed(None, false)), "{field}");
        }
        let estado = cambio["estado"]["pattern"].as_str().unwrap();
        let names: Vec<&str> = Estado::ALL.iter().map(|e| e.as_str()).collect();
        assert!(estado.contains(&format!("(?:{})", names.join("|"))), "{estado}");
        assert_eq!(cambio["repartidor_id"]["minimum"], json!(1));
        assert!(parse_change(&json!({"repartidor_id": 0})).is_err());
        assert!(parse_change(&json!({"repartidor_id": null})).is_ok());
        assert_eq!(parse_change(&json!({"estado": null, "nota": "x"})).unwrap_err().field, "estado");
        assert_eq!(parse_change(&json!({"estado": ""})).unwrap_err().field, "estado");
        // Dispatchers' edits.
        let prioridades: Vec<&str> = Prioridad::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(cambio["prioridad"]["pattern"], json!(text_patterns::choice(&prioridades, false)));
        assert_eq!(parse_change(&json!({"prioridad": " alta "})).unwrap().prioridad, Some(Prioridad::Alta));
        assert_eq!(parse_change(&json!({"prioridad": "urgente"})).unwrap_err().field, "prioridad");
        assert_eq!(cambio["indicaciones"]["maxLength"], json!(INDICACIONES_MAX));
        assert_eq!(cambio["indicaciones"]["pattern"], json!(text_patterns::trimmed(None, false)));
        assert_eq!(parse_change(&json!({"indicaciones": ""})).unwrap().indicaciones, Some(None));
        let long = json!("a".repeat(INDICACIONES_MAX + 1));
        assert_eq!(parse_change(&json!({"indicaciones": long})).unwrap_err().field, "indicaciones");
        assert_eq!(cambio["cliente_direccion"]["maxLength"], json!(CHANGE_TEXT_MAX));
        assert_eq!(cambio["cliente_direccion"]["pattern"], json!(text_patterns::trimmed(None, true)));
        assert_eq!(parse_change(&json!({"cliente_direccion": " "})).unwrap_err().field, "cliente_direccion");
        let long = json!("a".repeat(CHANGE_TEXT_MAX + 1));
        assert_eq!(parse_change(&json!({"cliente_direccion": long})).unwrap_err().field, "cliente_direccion");
        let required: Vec<&Value> =
            cambio_schema(&doc)["anyOf"].as_array().unwrap().iter().map(|a| &a["required"][0]).collect();
        for field in ["estado", "repartidor_id", "prioridad", "indicaciones", "cliente_direccion"] {
            assert!(required.contains(&&json!(field)), "{field} is enough");
        }
    }

    fn cambio_schema(doc: &Value) -> &Value {
        &doc["components"]["schemas"]["CambioTicket"]
    }
}
