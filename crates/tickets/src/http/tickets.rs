//! Reading tickets: `GET /api/tickets` (filters, paging) and
//! `GET /api/tickets/{id}`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use belgrano_shared::ticket::{parse_fecha, Ticket};
use belgrano_shared::{Estado, FieldError};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;

use super::extract::ServiceAuth;
use super::AppState;
use crate::error::ApiError;
use crate::store::{CourierFilter, TicketFilter};

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
    _auth: ServiceAuth,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<TicketPage>, ApiError> {
    let filter = parse_filter(&params)?;
    let tickets = state.store.tickets(&filter).await?;
    let next_cursor = (tickets.len() as i64 == filter.limit).then(|| tickets.last().map(|t| t.id)).flatten();
    Ok(Json(TicketPage { count: tickets.len(), limit: filter.limit, offset: filter.offset, next_cursor, tickets }))
}

pub async fn show(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    Path(id): Path<String>,
) -> Result<Json<Ticket>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("ticket no encontrado"))?;
    state.store.ticket(id).await?.map(Json).ok_or(ApiError::NotFound("ticket no encontrado"))
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
                    .ok_or_else(|| FieldError::new(k, "debe ser una fecha ISO 8601 (2024-12-01 o 2024-12-01T12:00:00Z)"))
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
