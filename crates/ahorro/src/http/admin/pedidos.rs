//! Orders in the back office: `/admin/pedidos` (filters by state, date
//! range in Buenos Aires days, store, customer text and payment method;
//! each order's lines, its ticket as Tickets last reported it and every
//! report received), `GET /api/admin/pedidos` (the same filters, JSON) and
//! `GET /api/admin/pedidos.csv` (the same filters, every matching order,
//! for the accountant: Spanish headers, `;` separator, decimal comma).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use belgrano_contract::{Estado, FieldError, MetodoPago};
use belgrano_platform::http::{parse_date, url_encode};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminLayout, Staff, StaffApi};
use crate::domain::catalogo::Negocio;
use crate::domain::pedido::Pedido;
use crate::domain::seguimiento::local;
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;
use crate::store::{FiltroPedidos, Historia};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/pedidos", get(page))
        .route("/api/admin/pedidos", get(api_list))
        .route("/api/admin/pedidos.csv", get(csv_export))
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// The CSV holds every matching order, up to this many.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// The filters as typed (query string); empty means "all".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Filtros {
    pub estado: String,
    /// `AAAA-MM-DD`, a Buenos Aires day, inclusive.
    pub desde: String,
    /// `AAAA-MM-DD`, inclusive.
    pub hasta: String,
    pub negocio: String,
    pub cliente: String,
    pub metodo_pago: String,
    pub limit: String,
    pub offset: String,
}

/// Midnight of a Buenos Aires day as an instant.
pub fn ba_midnight(day: NaiveDate) -> DateTime<Utc> {
    crate::domain::hora::momento(day, chrono::NaiveTime::MIN).to_utc()
}

fn day(field: &str, raw: &str) -> Result<Option<NaiveDate>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    parse_date(raw).map(Some).ok_or_else(|| FieldError::new(field, "debe ser una fecha AAAA-MM-DD"))
}

fn number(field: &str, raw: &str, default: i64, max: i64) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default);
    }
    match raw.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(n),
        _ => Err(FieldError::new(field, format!("debe ser un número entre 0 y {max}"))),
    }
}

impl Filtros {
    /// The filters of a JSON endpoint's query string. Read through a map,
    /// not `Query<Filtros>`, so that a repeated parameter (the last one
    /// counts) is not refused by axum in plain text instead of the API's
    /// JSON error.
    pub fn from_params(mut params: HashMap<String, String>) -> Self {
        let mut take = |k: &str| params.remove(k).unwrap_or_default();
        Filtros {
            estado: take("estado"),
            desde: take("desde"),
            hasta: take("hasta"),
            negocio: take("negocio"),
            cliente: take("cliente"),
            metodo_pago: take("metodo_pago"),
            limit: take("limit"),
            offset: take("offset"),
        }
    }

    /// Validates every filter, naming the first one at fault.
    pub fn parse(&self, max_limit: i64) -> Result<FiltroPedidos, FieldError> {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let estado = match text(&self.estado) {
            None => None,
            Some(e) => Some(e.parse::<Estado>().map_err(|_| FieldError::new("estado", "no es un estado conocido"))?),
        };
        let metodo_pago = match text(&self.metodo_pago) {
            None => None,
            Some(m) => Some(
                m.parse::<MetodoPago>()
                    .map_err(|_| FieldError::new("metodo_pago", "no es un método de pago conocido"))?,
            ),
        };
        let desde = day("desde", &self.desde)?;
        let hasta = day("hasta", &self.hasta)?;
        if let (Some(d), Some(h)) = (desde, hasta)
            && h < d
        {
            return Err(FieldError::new("hasta", "no puede ser anterior a desde"));
        }
        let cliente = text(&self.cliente);
        if cliente.as_ref().is_some_and(|c| c.chars().count() > 100) {
            return Err(FieldError::new("cliente", "no puede superar 100 caracteres"));
        }
        Ok(FiltroPedidos {
            estado,
            desde: desde.map(ba_midnight),
            hasta: hasta.and_then(|h| h.checked_add_days(Days::new(1))).map(ba_midnight),
            negocio: text(&self.negocio),
            cliente,
            metodo_pago,
            limit: number("limit", &self.limit, DEFAULT_LIMIT.min(max_limit), max_limit)?.max(1),
            offset: number("offset", &self.offset, 0, i64::from(i32::MAX))?,
        })
    }

    /// The query string of these filters (paging and CSV links), without
    /// `offset`.
    pub fn query(&self) -> String {
        [
            ("estado", &self.estado),
            ("desde", &self.desde),
            ("hasta", &self.hasta),
            ("negocio", &self.negocio),
            ("cliente", &self.cliente),
            ("metodo_pago", &self.metodo_pago),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// Orders with their reports, one query each.
async fn search(state: &AppState, f: &FiltroPedidos) -> Result<(Vec<Pedido>, i64, HistoryMap), ApiError> {
    let (pedidos, total) = state.store.buscar_pedidos(f).await?;
    let ids: Vec<i64> = pedidos.iter().map(|p| p.id).collect();
    let mut historial: HistoryMap = HashMap::new();
    for (id, h) in state.store.historial(&ids).await? {
        historial.entry(id).or_default().push(h);
    }
    Ok((pedidos, total, historial))
}

type HistoryMap = HashMap<i64, Vec<Historia>>;

fn estado(p: &Pedido) -> Estado {
    p.ticket_estado.unwrap_or(Estado::Pendiente)
}

fn pedido_json(p: &Pedido, historial: &[Historia]) -> Value {
    json!({
        "numero": p.numero.as_str(),
        "fecha": p.fecha.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "estado": estado(p).as_str(),
        "cliente": {
            "nombre": p.cliente.nombre,
            "apellido": p.cliente.apellido,
            "email": p.cliente.email,
            "telefono": p.cliente.telefono,
        },
        "tipo_cliente": p.tipo_cliente.as_str(),
        "direccion": p.direccion,
        "metodo_pago": p.metodo_pago.as_str(),
        "notas": p.notas,
        "total": p.total.pesos(),
        "envio": p.envio.map(|e| e.as_str()),
        "ticket": {
            "id": p.ticket_id,
            "estado": p.ticket_estado.map(Estado::as_str),
            "repartidor": p.repartidor,
        },
        "items": p.items.iter().map(|i| json!({
            "producto_id": i.producto_id,
            "nombre": i.nombre,
            "cantidad": i.cantidad,
            "precio_unitario": i.precio_unitario.pesos(),
            "subtotal": i.subtotal.pesos(),
        })).collect::<Vec<_>>(),
        "historial": historial.iter().map(|h| json!({
            "evento": h.evento,
            "estado": h.estado.as_str(),
            "repartidor": h.repartidor,
            "version": h.version,
            "aplicado": h.aplicado,
            "recibido": h.recibido.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })).collect::<Vec<_>>(),
    })
}

async fn api_list(
    State(state): State<AppState>,
    _staff: StaffApi,
    Query(params): Query<HashMap<String, String>>,
) -> Result<axum::Json<Value>, ApiError> {
    let f = Filtros::from_params(params).parse(MAX_LIMIT)?;
    let (pedidos, total, historial) = search(&state, &f).await?;
    let pedidos: Vec<Value> =
        pedidos.iter().map(|p| pedido_json(p, historial.get(&p.id).map_or(&[], Vec::as_slice))).collect();
    Ok(axum::Json(json!({
        "count": pedidos.len(),
        "total": total,
        "limit": f.limit,
        "offset": f.offset,
        "pedidos": pedidos,
    })))
}

/// `1234,50`: what a spreadsheet set to Spanish reads as a number.
fn decimal_comma(c: belgrano_contract::Centavos) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", c.0.unsigned_abs() / 100, c.0.unsigned_abs() % 100)
}

pub const CSV_HEADERS: [&str; 13] = [
    "Número",
    "Fecha",
    "Estado",
    "Cliente",
    "Email",
    "Teléfono",
    "Dirección",
    "Tipo de cliente",
    "Método de pago",
    "Productos",
    "Unidades",
    "Total",
    "Repartidor",
];

fn csv_bytes(pedidos: &[Pedido]) -> Result<Vec<u8>, csv::Error> {
    // A byte-order mark, so spreadsheets read the accents as UTF-8.
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(CSV_HEADERS)?;
    for p in pedidos {
        let productos = p.items.iter().map(|i| format!("{} x{}", i.nombre, i.cantidad)).collect::<Vec<_>>().join(", ");
        let unidades: i64 = p.items.iter().map(|i| i.cantidad).sum();
        w.write_record([
            p.numero.as_str(),
            &local(p.fecha),
            estado(p).label(),
            &p.cliente.nombre_completo(),
            &p.cliente.email,
            &p.cliente.telefono,
            &p.direccion,
            if p.tipo_cliente == belgrano_contract::TipoCliente::Comerciante { "Comerciante" } else { "Cliente" },
            p.metodo_pago.label(),
            &productos,
            &unidades.to_string(),
            &decimal_comma(p.total),
            p.repartidor.as_deref().unwrap_or(""),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

async fn csv_export(
    State(state): State<AppState>,
    _staff: StaffApi,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let q = Filtros::from_params(params);
    let mut f = q.parse(CSV_MAX_ROWS)?;
    if q.limit.trim().is_empty() {
        f.limit = CSV_MAX_ROWS;
    }
    let (pedidos, _) = state.store.buscar_pedidos(&f).await?;
    let body = csv_bytes(&pedidos).map_err(|e| ApiError::Unavailable(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"pedidos.csv\""),
        ],
        body,
    )
        .into_response())
}

// ---- The page ----

/// One order as the page shows it.
struct Fila {
    p: Pedido,
    historial: Vec<HistoriaFila>,
}

struct HistoriaFila {
    cuando: String,
    que: &'static str,
    estado: &'static str,
    repartidor: String,
    aplicado: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/pedidos.html")]
struct PedidosPage {
    l: AdminLayout,
    q: Filtros,
    filas: Vec<Fila>,
    total: i64,
    error: String,
    estados: &'static [Estado],
    metodos: &'static [MetodoPago],
    negocios: Vec<Negocio>,
    query: String,
    anterior: Option<i64>,
    siguiente: Option<i64>,
    desde_n: i64,
    hasta_n: i64,
}

async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<Filtros>) -> Result<Response, PageError> {
    let negocios = state.store.negocios().await?;
    let l = AdminLayout::new(&staff, "Pedidos");
    let mut page = PedidosPage {
        l,
        query: q.query(),
        q: q.clone(),
        filas: Vec::new(),
        total: 0,
        error: String::new(),
        estados: Estado::ALL,
        metodos: MetodoPago::ALL,
        negocios,
        anterior: None,
        siguiente: None,
        desde_n: 0,
        hasta_n: 0,
    };
    let f = match q.parse(MAX_LIMIT) {
        Ok(f) => f,
        Err(e) => {
            page.error = crate::http::layout::message(&e);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let (pedidos, total, mut historial) = search(&state, &f).await?;
    page.total = total;
    page.desde_n = if pedidos.is_empty() { 0 } else { f.offset + 1 };
    page.hasta_n = f.offset + pedidos.len() as i64;
    page.anterior = (f.offset > 0).then(|| (f.offset - f.limit).max(0));
    page.siguiente = (f.offset + f.limit < total).then_some(f.offset + f.limit);
    page.filas = pedidos
        .into_iter()
        .map(|p| {
            let historial = historial
                .remove(&p.id)
                .unwrap_or_default()
                .into_iter()
                .map(|h| HistoriaFila {
                    cuando: local(h.recibido),
                    que: if h.evento == "ticket_creado" { "Ticket creado" } else { "Actualización" },
                    estado: h.estado.label(),
                    repartidor: h.repartidor.unwrap_or_default(),
                    aplicado: h.aplicado,
                })
                .collect();
            Fila { p, historial }
        })
        .collect();
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_validated_and_days_are_buenos_aires_days() {
        let q = Filtros { desde: "2026-03-01".into(), hasta: "2026-03-01".into(), ..Default::default() };
        let f = q.parse(MAX_LIMIT).unwrap();
        assert_eq!(f.desde.unwrap().to_rfc3339(), "2026-03-01T03:00:00+00:00");
        assert_eq!(f.hasta.unwrap().to_rfc3339(), "2026-03-02T03:00:00+00:00");
        let bad = |q: Filtros| q.parse(MAX_LIMIT).unwrap_err().field;
        assert_eq!(bad(Filtros { estado: "perdido".into(), ..Default::default() }), "estado");
        assert_eq!(bad(Filtros { metodo_pago: "bitcoin".into(), ..Default::default() }), "metodo_pago");
        assert_eq!(bad(Filtros { desde: "1/3/2026".into(), ..Default::default() }), "desde");
        assert_eq!(
            bad(Filtros { desde: "2026-03-02".into(), hasta: "2026-03-01".into(), ..Default::default() }),
            "hasta"
        );
        assert_eq!(bad(Filtros { limit: "-1".into(), ..Default::default() }), "limit");
        assert_eq!(decimal_comma(belgrano_contract::Centavos(123_450)), "1234,50");
    }
}
