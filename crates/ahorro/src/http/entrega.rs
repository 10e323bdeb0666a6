//! Delivery: `GET /api/entrega/opciones?barrio=…` (the zone's cost and
//! minimum and the next days' windows with the places left) and the back
//! office's settings (`/admin/entrega`, `GET/PUT /api/admin/entrega`).
//!
//! A window offered for a date is identified by `franja_id`
//! `"<franja_id>@<YYYY-MM-DD>"` (the franja's id and the Buenos Aires
//! date), which `POST /api/checkout` takes back.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::ticket::con_offset;
use belgrano_contract::{Centavos, FieldError};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::admin::{AdminLayout, Staff, StaffApi};
use super::error::{ApiError, PageError};
use super::state::AppState;
use crate::domain::entrega::{self, Ajustes, Franja, Opcion, Zona};
use crate::domain::hora;

/// The answer of `GET /api/entrega/opciones`.
#[derive(Debug, Serialize)]
pub struct Opciones {
    pub barrio: String,
    pub costo_envio: f64,
    pub minimo: f64,
    pub franjas: Vec<OpcionJson>,
}

#[derive(Debug, Serialize)]
pub struct OpcionJson {
    pub franja_id: String,
    pub fecha: String,
    pub dia: &'static str,
    #[serde(with = "con_offset")]
    pub desde: chrono::DateTime<chrono::FixedOffset>,
    #[serde(with = "con_offset")]
    pub hasta: chrono::DateTime<chrono::FixedOffset>,
    pub etiqueta: String,
    pub capacidad: i64,
    pub disponibles: i64,
    pub cerrada: bool,
    /// Open and with a place left.
    pub disponible: bool,
    pub envio_gratis_desde: Option<f64>,
}

impl From<&Opcion> for OpcionJson {
    fn from(o: &Opcion) -> Self {
        OpcionJson {
            franja_id: o.id(),
            fecha: o.turno.fecha.format("%Y-%m-%d").to_string(),
            dia: hora::dia_semana(o.turno.fecha),
            desde: o.turno.desde(),
            hasta: o.turno.hasta(),
            etiqueta: o.etiqueta(),
            capacidad: o.turno.franja.capacidad,
            disponibles: o.disponibles,
            cerrada: o.cerrado,
            disponible: o.elegible(),
            envio_gratis_desde: o.turno.franja.envio_gratis_desde.map(Centavos::pesos),
        }
    }
}

/// The settings and the windows on offer now, for the checkout page.
pub async fn ofrecidas(state: &AppState) -> Result<(Ajustes, Vec<Opcion>), ApiError> {
    let ajustes = state.store.ajustes_entrega().await?;
    let now = Utc::now();
    let (desde, hasta) = Ajustes::fechas(now);
    let usados = state.store.cupos_usados(desde, hasta).await?;
    let opciones = ajustes.opciones(now, &usados);
    Ok((ajustes, opciones))
}

/// `GET /api/entrega/opciones?barrio=…`.
pub async fn opciones(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<axum::Json<Opciones>, ApiError> {
    let barrio = params.get("barrio").map(|b| b.trim()).unwrap_or_default();
    if barrio.is_empty() {
        return Err(FieldError::new("barrio", "es obligatorio").into());
    }
    let (ajustes, opciones) = ofrecidas(&state).await?;
    let zona = ajustes.zona(barrio).ok_or(ApiError::NotFound("No hacemos envíos a ese barrio"))?;
    Ok(axum::Json(Opciones {
        barrio: zona.barrio.clone(),
        costo_envio: zona.costo_envio.pesos(),
        minimo: zona.minimo.pesos(),
        franjas: opciones.iter().map(OpcionJson::from).collect(),
    }))
}

// ------------------------------------------------------------ settings

/// The settings as JSON (`GET /api/admin/entrega`); money in pesos.
pub fn ajustes_json(a: &Ajustes) -> Value {
    json!({
        "zonas": a.zonas.iter().map(|z| json!({
            "barrio": z.barrio, "costo_envio": z.costo_envio.pesos(), "minimo": z.minimo.pesos(),
        })).collect::<Vec<_>>(),
        "franjas": a.franjas.iter().map(|f| json!({
            "id": f.id,
            "dia": f.dia,
            "dia_nombre": hora::DIAS[(f.dia as usize).saturating_sub(1).min(6)],
            "desde": f.desde.format("%H:%M").to_string(),
            "hasta": f.hasta.format("%H:%M").to_string(),
            "capacidad": f.capacidad,
            "corte_minutos": f.corte_minutos,
            "envio_gratis_desde": f.envio_gratis_desde.map(Centavos::pesos),
        })).collect::<Vec<_>>(),
    })
}

fn get<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

fn texto(o: &Map<String, Value>, field: &str, k: &str, max: usize) -> Result<String, FieldError> {
    match get(o, k) {
        Some(Value::String(s)) => crate::domain::usuario::text(field, s, true, max),
        None => Err(FieldError::new(field, "es obligatorio")),
        Some(_) => Err(FieldError::new(field, "debe ser un texto")),
    }
}

fn pesos(o: &Map<String, Value>, field: &str, k: &str, required: bool) -> Result<Option<Centavos>, FieldError> {
    match get(o, k) {
        None if required => Err(FieldError::new(field, "es obligatorio")),
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|p| *p <= 100_000_000.0)
            .and_then(Centavos::from_pesos)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "debe ser un importe entre 0 y 100000000")),
        Some(_) => Err(FieldError::new(field, "debe ser un número")),
    }
}

fn entero(o: &Map<String, Value>, field: &str, k: &str) -> Result<Option<i64>, FieldError> {
    match get(o, k) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| FieldError::new(field, "debe ser un entero")),
        Some(_) => Err(FieldError::new(field, "debe ser un entero")),
    }
}

/// The body of `PUT /api/admin/entrega` into validated settings; errors
/// name the field (`zonas[1].minimo`, `franjas[3].desde`).
pub fn parse_ajustes(body: &Value) -> Result<Ajustes, FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "se espera un objeto JSON"))?;
    let zonas = match get(obj, "zonas") {
        Some(Value::Array(z)) => z,
        None => return Err(FieldError::new("zonas", "es obligatorio")),
        Some(_) => return Err(FieldError::new("zonas", "debe ser una lista")),
    };
    let franjas = match get(obj, "franjas") {
        Some(Value::Array(f)) => f.as_slice(),
        None => &[],
        Some(_) => return Err(FieldError::new("franjas", "debe ser una lista")),
    };
    let zonas = zonas
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let f = |k: &str| format!("zonas[{i}].{k}");
            let z = z.as_object().ok_or_else(|| FieldError::new(format!("zonas[{i}]"), "debe ser un objeto"))?;
            Ok(Zona {
                barrio: texto(z, &f("barrio"), "barrio", 60)?,
                costo_envio: pesos(z, &f("costo_envio"), "costo_envio", true)?.unwrap_or_default(),
                minimo: pesos(z, &f("minimo"), "minimo", false)?.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    let franjas = franjas
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = |k: &str| format!("franjas[{i}].{k}");
            let o = v.as_object().ok_or_else(|| FieldError::new(format!("franjas[{i}]"), "debe ser un objeto"))?;
            let id = entero(o, &f("id"), "id")?.unwrap_or(0);
            if id < 0 {
                return Err(FieldError::new(f("id"), "debe ser el id de una franja guardada"));
            }
            let dia = entero(o, &f("dia"), "dia")?.ok_or_else(|| FieldError::new(f("dia"), "es obligatorio"))?;
            let capacidad = entero(o, &f("capacidad"), "capacidad")?
                .ok_or_else(|| FieldError::new(f("capacidad"), "es obligatorio"))?;
            Ok(Franja {
                id,
                dia: u32::try_from(dia).unwrap_or(0),
                desde: entrega::hora_hhmm(&f("desde"), &texto(o, &f("desde"), "desde", 5)?)?,
                hasta: entrega::hora_hhmm(&f("hasta"), &texto(o, &f("hasta"), "hasta", 5)?)?,
                capacidad,
                corte_minutos: entero(o, &f("corte_minutos"), "corte_minutos")?.unwrap_or(0),
                envio_gratis_desde: pesos(o, &f("envio_gratis_desde"), "envio_gratis_desde", false)?,
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    let ajustes = Ajustes { zonas, franjas };
    entrega::validar(&ajustes)?;
    Ok(ajustes)
}

async fn save(state: &AppState, body: &Value) -> Result<Ajustes, ApiError> {
    let ajustes = parse_ajustes(body)?;
    if let Err(i) = state.store.guardar_ajustes_entrega(&ajustes).await? {
        return Err(FieldError::new(format!("franjas[{i}].id"), "no es el id de una franja guardada").into());
    }
    Ok(state.store.ajustes_entrega().await?)
}

/// `GET /api/admin/entrega`.
pub async fn api_get(State(state): State<AppState>, _staff: StaffApi) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(ajustes_json(&state.store.ajustes_entrega().await?)))
}

/// `PUT /api/admin/entrega`: replaces the settings (see
/// `Store::guardar_ajustes_entrega` for how windows keep their places).
pub async fn api_put(
    State(state): State<AppState>,
    _staff: StaffApi,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(ajustes_json(&save(&state, &body).await?)))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/entrega.html")]
struct EntregaPage {
    l: AdminLayout,
    ajustes: Ajustes,
    json: String,
    error: String,
}

impl EntregaPage {
    fn dia(&self, f: &Franja) -> &'static str {
        hora::DIAS[(f.dia as usize).saturating_sub(1).min(6)]
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Aviso {
    guardado: Option<String>,
}

/// `/admin/entrega`: the zones and windows, and the settings as JSON to edit.
pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<Aviso>) -> Result<Response, PageError> {
    let ajustes = state.store.ajustes_entrega().await?;
    let json = serde_json::to_string_pretty(&ajustes_json(&ajustes)).unwrap_or_default();
    let mut l = AdminLayout::new(&staff, "Entregas: barrios y franjas");
    if q.guardado.is_some() {
        l = l.with_aviso("Guardado.");
    }
    Ok(EntregaPage { l, ajustes, json, error: String::new() }.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AjustesForm {
    ajustes: String,
}

/// The page's form: the same rules as `PUT /api/admin/entrega`.
pub async fn page_save(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(f): CsrfForm<AjustesForm>,
) -> Result<Response, PageError> {
    let error = match serde_json::from_str::<Value>(&f.ajustes) {
        Err(_) => "El texto no es JSON válido.".to_owned(),
        Ok(body) => match save(&state, &body).await {
            Ok(_) => return Ok(Redirect::to("/admin/entrega?guardado=1").into_response()),
            Err(ApiError::Validation(e)) => format!("{}: {}.", e.field, e.message),
            Err(e) => return Err(e.into()),
        },
    };
    let ajustes = state.store.ajustes_entrega().await?;
    let page =
        EntregaPage { l: AdminLayout::new(&staff, "Entregas: barrios y franjas"), ajustes, json: f.ajustes, error };
    Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
}
