//! Stores (negocios: name, description, colour) and their branches
//! (sucursales: name, address, phone, hours), editable; new branches.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::CsrfForm;
use serde_json::{Value, json};

use super::super::{AdminLayout, Staff, StaffApi};
use super::{FormError, value};
use crate::domain::catalogo::{Negocio, NegocioDatos, Sucursal, SucursalDatos};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

fn sucursal_json(s: &Sucursal) -> Value {
    json!({"id": s.id, "negocio": s.negocio_id, "nombre": s.nombre, "direccion": s.direccion, "telefono": s.telefono, "horarios": s.horarios})
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NegocioBody {
    nombre: Option<String>,
    descripcion: Option<String>,
    color: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SucursalBody {
    nombre: Option<String>,
    direccion: Option<String>,
    telefono: Option<String>,
    horarios: Option<String>,
}

async fn negocio(state: &AppState, id: &str) -> Result<Negocio, ApiError> {
    state.store.negocios().await?.into_iter().find(|n| n.id == id).ok_or(ApiError::NotFound("negocio no encontrado"))
}

async fn sucursal(state: &AppState, id: &str) -> Result<Sucursal, ApiError> {
    state
        .store
        .todas_las_sucursales()
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ApiError::NotFound("sucursal no encontrada"))
}

pub async fn api_list(State(state): State<AppState>, _staff: StaffApi) -> Result<Json<Value>, ApiError> {
    let sucursales = state.store.todas_las_sucursales().await?;
    let negocios: Vec<Value> = state
        .store
        .negocios()
        .await?
        .iter()
        .map(|n| {
            let mine: Vec<Value> = sucursales.iter().filter(|s| s.negocio_id == n.id).map(sucursal_json).collect();
            json!({"id": n.id, "nombre": n.nombre, "descripcion": n.descripcion, "color": n.color, "sucursales": mine})
        })
        .collect();
    Ok(Json(json!({"negocios": negocios})))
}

pub async fn api_negocio(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(b): belgrano_platform::http::Json<NegocioBody>,
) -> Result<Json<Value>, ApiError> {
    let n = negocio(&state, &id).await?;
    let datos = NegocioDatos::parse(
        b.nombre.as_deref().unwrap_or(&n.nombre),
        b.descripcion.as_deref().unwrap_or(&n.descripcion),
        b.color.as_deref().unwrap_or(&n.color),
    )?;
    state.store.actualizar_negocio(&id, &datos).await?;
    Ok(Json(
        json!({"exito": true, "negocio": {"id": id, "nombre": datos.nombre, "descripcion": datos.descripcion, "color": datos.color}}),
    ))
}

fn sucursal_datos(b: &SucursalBody, base: Option<&Sucursal>) -> Result<SucursalDatos, FieldError> {
    let pick = |v: &Option<String>, kept: Option<&String>| v.clone().or_else(|| kept.cloned()).unwrap_or_default();
    SucursalDatos::parse(
        &pick(&b.nombre, base.map(|s| &s.nombre)),
        &pick(&b.direccion, base.map(|s| &s.direccion)),
        &pick(&b.telefono, base.map(|s| &s.telefono)),
        &pick(&b.horarios, base.map(|s| &s.horarios)),
    )
}

pub async fn api_sucursal(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(b): belgrano_platform::http::Json<SucursalBody>,
) -> Result<Json<Value>, ApiError> {
    let s = sucursal(&state, &id).await?;
    let datos = sucursal_datos(&b, Some(&s))?;
    state.store.actualizar_sucursal(&id, &datos).await?;
    Ok(Json(json!({"exito": true, "sucursal": sucursal_json(&sucursal(&state, &id).await?)})))
}

pub async fn api_new_sucursal(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(b): belgrano_platform::http::Json<SucursalBody>,
) -> Result<Response, ApiError> {
    negocio(&state, &id).await?;
    let datos = sucursal_datos(&b, None)?;
    let new = state.store.crear_sucursal(&id, &datos).await?.ok_or(ApiError::NotFound("negocio no encontrado"))?;
    let s = sucursal(&state, &new).await?;
    Ok((StatusCode::CREATED, Json(json!({"exito": true, "sucursal": sucursal_json(&s)}))).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/negocios.html")]
pub struct Page {
    l: AdminLayout,
    negocios: Vec<Negocio>,
    sucursales: Vec<Sucursal>,
    /// Which form the error belongs to (`negocio:<id>`, `sucursal:<id>`,
    /// `nueva:<negocio>`), and the error.
    error_en: String,
    e: FormError,
}

impl Page {
    fn de(&self, negocio: &str) -> Vec<&Sucursal> {
        self.sucursales.iter().filter(|s| s.negocio_id == negocio).collect()
    }

    fn err(&self, form: &str, field: &str) -> String {
        if self.error_en == form { self.e.of(field) } else { String::new() }
    }
}

async fn page_of(state: &AppState, staff: &Staff) -> Result<Page, ApiError> {
    Ok(Page {
        l: AdminLayout::new(staff, "Negocios y sucursales"),
        negocios: state.store.negocios().await?,
        sucursales: state.store.todas_las_sucursales().await?,
        error_en: String::new(),
        e: FormError::default(),
    })
}

pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mut page = page_of(&state, &staff).await?;
    if params.contains_key("guardado") {
        page.l.aviso = "Guardado: la tienda ya lo muestra.".into();
    }
    Ok(page.into_response())
}

async fn refused(state: &AppState, staff: &Staff, form: String, e: FieldError) -> Result<Response, PageError> {
    let mut page = page_of(state, staff).await?;
    page.error_en = form;
    page.e = FormError(Some(e));
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

pub async fn negocio_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    negocio(&state, &id).await?;
    let v = |k: &str| value(&fields, k).unwrap_or("");
    match NegocioDatos::parse(v("nombre"), v("descripcion"), v("color")) {
        Ok(datos) => {
            state.store.actualizar_negocio(&id, &datos).await?;
            Ok(Redirect::to("/admin/negocios?guardado=1").into_response())
        }
        Err(e) => refused(&state, &staff, format!("negocio:{id}"), e).await,
    }
}

fn body_of(fields: &[(String, String)]) -> SucursalBody {
    let v = |k: &str| Some(value(fields, k).unwrap_or("").to_owned());
    SucursalBody { nombre: v("nombre"), direccion: v("direccion"), telefono: v("telefono"), horarios: v("horarios") }
}

pub async fn sucursal_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    sucursal(&state, &id).await?;
    match sucursal_datos(&body_of(&fields), None) {
        Ok(datos) => {
            state.store.actualizar_sucursal(&id, &datos).await?;
            Ok(Redirect::to("/admin/negocios?guardado=1").into_response())
        }
        Err(e) => refused(&state, &staff, format!("sucursal:{id}"), e).await,
    }
}

pub async fn new_sucursal_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    negocio(&state, &id).await?;
    match sucursal_datos(&body_of(&fields), None) {
        Ok(datos) => {
            state.store.crear_sucursal(&id, &datos).await?;
            Ok(Redirect::to("/admin/negocios?guardado=1").into_response())
        }
        Err(e) => refused(&state, &staff, format!("nueva:{id}"), e).await,
    }
}
