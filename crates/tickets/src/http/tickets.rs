//! Reading tickets: `GET /api/tickets` (filters, paging) and
//! `GET /api/tickets/{id}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use belgrano_contract::ticket::{Ticket, parse_fecha};
use belgrano_contract::{Estado, FieldError};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;

use super::AppState;
use super::auth::DeskAuth;
use super::error::ApiError;
use crate::domain::change::{CourierChoice, TicketChange};
use crate::store::{CourierFilter, TicketFilter};
use belgrano_platform::http::Json as JsonBody;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;

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
fn parse_filter(params: &HashMap<String, String>) -> Result<TicketFilter, FieldError> {
    let get = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
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
                if let Some(at) = parse_fecha(raw) {
                    return Ok(at);
                }
                // A plain date covers the whole day (`hasta=2024-12-01` includes that day).
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()
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
        repartidor: get("repartidor").map(|raw| match raw.parse::<i64>() {
            Ok(id) => CourierFilter::Id(id),
            Err(_) if raw == "sin-asignar" || raw == "ninguno" => CourierFilter::Unassigned,
            Err(_) => CourierFilter::Nombre(raw.to_owned()),
        }),
        desde: fecha("desde", false)?,
        hasta: fecha("hasta", true)?,
        q: get("q").map(|q| q.chars().take(100).collect()),
        limit: int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        offset: int("offset", 0, 1_000_000)?.unwrap_or(0),
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
            Some(serde_json::Value::String(s)) if s.chars().count() <= 500 => Ok(Some(s.trim().to_owned())),
            Some(serde_json::Value::String(_)) => Err(FieldError::new(key, "no puede superar 500 caracteres")),
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
    if estado.is_none() && repartidor.is_none() {
        return Err(FieldError::new("estado", "indique 'estado' y/o 'repartidor_id'"));
    }
    Ok(TicketChange { estado, repartidor, motivo: text("motivo")?, nota: text("nota")? })
}
