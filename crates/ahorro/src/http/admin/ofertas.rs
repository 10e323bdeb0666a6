//! Offers that point at products: a title, a discount (a percentage or
//! words such as "2x1"), a period and its products. The shop's home page
//! links each to `/ofertas/{id}` (`http::catalogo::oferta`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;
use serde_json::{Value, json};

use super::super::{AdminLayout, Staff, StaffApi};
use super::{FormError, value, values};
use crate::domain::catalogo::{Negocio, Oferta, OfertaDatos, OfertaInput, Producto};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

fn oferta_json(o: &Oferta) -> Value {
    json!({
        "id": o.id,
        "titulo": o.titulo,
        "descripcion": o.descripcion,
        "descuento": if o.descuento_texto.is_empty() { json!(o.descuento) } else { json!(o.descuento_texto) },
        "negocio": o.negocio_id,
        "desde": o.fecha_inicio,
        "hasta": o.fecha_fin,
        "productos": o.productos,
        "url": format!("/ofertas/{}", o.id),
    })
}

async fn load(state: &AppState, id: &str) -> Result<Oferta, ApiError> {
    state.store.oferta(id).await?.ok_or(ApiError::NotFound("oferta no encontrada"))
}

async fn save(state: &AppState, id: Option<&str>, input: &OfertaInput) -> Result<Oferta, ApiError> {
    let base = match id {
        Some(id) => Some(OfertaDatos::of(&load(state, id).await?)),
        None => None,
    };
    let refs = state.store.referencias().await?;
    let ids: Vec<i64> = state.store.todos_los_productos().await?.iter().map(|p| p.id).collect();
    let datos = input.parse(base.as_ref(), &refs, &ids)?;
    let id = state.store.guardar_oferta(id, &datos).await?.ok_or(ApiError::NotFound("oferta no encontrada"))?;
    load(state, &id).await
}

pub async fn api_list(State(state): State<AppState>, _staff: StaffApi) -> Result<Json<Value>, ApiError> {
    let ofertas: Vec<Value> = state.store.ofertas().await?.iter().map(oferta_json).collect();
    Ok(Json(json!({"count": ofertas.len(), "ofertas": ofertas})))
}

pub async fn api_get(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"oferta": oferta_json(&load(&state, &id).await?)})))
}

pub async fn api_create(
    State(state): State<AppState>,
    _staff: StaffApi,
    belgrano_platform::http::Json(input): belgrano_platform::http::Json<OfertaInput>,
) -> Result<Response, ApiError> {
    let o = save(&state, None, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({"exito": true, "oferta": oferta_json(&o)}))).into_response())
}

pub async fn api_patch(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(input): belgrano_platform::http::Json<OfertaInput>,
) -> Result<Json<Value>, ApiError> {
    let o = save(&state, Some(&id), &input).await?;
    Ok(Json(json!({"exito": true, "oferta": oferta_json(&o)})))
}

pub async fn api_delete(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !state.store.borrar_oferta(&id).await? {
        return Err(ApiError::NotFound("oferta no encontrada"));
    }
    Ok(Json(json!({"exito": true, "id": id})))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/ofertas.html")]
pub struct ListPage {
    l: AdminLayout,
    ofertas: Vec<Oferta>,
}

pub async fn list_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mut l = AdminLayout::new(&staff, "Ofertas");
    if params.contains_key("borrada") {
        l.aviso = "Oferta borrada.".into();
    }
    Ok(ListPage { l, ofertas: state.store.ofertas().await? }.into_response())
}

/// An offer form's values as typed (or stored).
#[derive(Debug, Clone, Default)]
pub struct OfertaForm {
    titulo: String,
    descripcion: String,
    descuento: String,
    negocio: String,
    desde: String,
    hasta: String,
    productos: Vec<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/ofertas_form.html")]
pub struct FormPage {
    l: AdminLayout,
    id: Option<String>,
    f: OfertaForm,
    e: FormError,
    negocios: Vec<Negocio>,
    productos: Vec<Producto>,
}

impl FormPage {
    fn marcado(&self, id: &i64) -> bool {
        self.f.productos.contains(id)
    }

    fn general_error(&self) -> String {
        self.e.general(&["titulo", "descripcion", "descuento", "negocio", "desde", "hasta", "productos"])
    }
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    id: Option<String>,
    f: OfertaForm,
    e: FormError,
) -> Result<FormPage, ApiError> {
    let title = if id.is_some() { format!("Oferta: {}", f.titulo) } else { "Nueva oferta".to_owned() };
    Ok(FormPage {
        l: AdminLayout::new(staff, title),
        id,
        f,
        e,
        negocios: state.store.negocios().await?,
        productos: state.store.todos_los_productos().await?,
    })
}

pub async fn new_page(State(state): State<AppState>, staff: Staff) -> Result<Response, PageError> {
    let today = chrono::Utc::now().date_naive();
    let f = OfertaForm {
        desde: today.format("%Y-%m-%d").to_string(),
        hasta: (today + chrono::Days::new(30)).format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    Ok(form_page(&state, &staff, None, f, FormError::default()).await?.into_response())
}

pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let o = load(&state, &id).await?;
    let f = OfertaForm {
        titulo: o.titulo.clone(),
        descripcion: o.descripcion.clone(),
        descuento: if o.descuento_texto.is_empty() { format!("{}%", o.descuento) } else { o.descuento_texto.clone() },
        negocio: o.negocio_id.clone(),
        desde: o.fecha_inicio.clone(),
        hasta: o.fecha_fin.clone(),
        productos: o.productos.clone(),
    };
    let mut page = form_page(&state, &staff, Some(o.id), f, FormError::default()).await?;
    if params.contains_key("guardada") {
        page.l.aviso = "Oferta guardada: la tienda ya la muestra.".into();
    }
    Ok(page.into_response())
}

fn from_fields(fields: &[(String, String)]) -> (OfertaForm, OfertaInput) {
    let v = |k: &str| value(fields, k).unwrap_or("").to_owned();
    let productos = values(fields, "productos");
    let f = OfertaForm {
        titulo: v("titulo"),
        descripcion: v("descripcion"),
        descuento: v("descuento"),
        negocio: v("negocio"),
        desde: v("desde"),
        hasta: v("hasta"),
        productos: productos.iter().filter_map(|p| p.trim().parse().ok()).collect(),
    };
    let input = OfertaInput {
        titulo: Some(f.titulo.clone()),
        descripcion: Some(f.descripcion.clone()),
        descuento: Some(f.descuento.clone()),
        negocio: Some(f.negocio.clone()),
        desde: Some(f.desde.clone()),
        hasta: Some(f.hasta.clone()),
        productos: Some(productos),
    };
    (f, input)
}

async fn submit(
    state: AppState,
    staff: Staff,
    id: Option<String>,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (f, input) = from_fields(&fields);
    match save(&state, id.as_deref(), &input).await {
        Ok(o) => Ok(Redirect::to(&format!("/admin/ofertas/{}?guardada=1", o.id)).into_response()),
        Err(ApiError::Validation(e)) => {
            let page = form_page(&state, &staff, id, f, FormError(Some(e))).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_form(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit(state, staff, None, fields).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    load(&state, &id).await?;
    submit(state, staff, Some(id), fields).await
}

pub async fn delete_form(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !state.store.borrar_oferta(&id).await? {
        return Err(ApiError::NotFound("oferta no encontrada").into());
    }
    Ok(Redirect::to("/admin/ofertas?borrada=1").into_response())
}
