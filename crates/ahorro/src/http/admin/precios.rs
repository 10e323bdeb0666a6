//! Prices in bulk: a percentage over a store's products, a category's or
//! both, rounded to a step, previewed first (`simular`), then applied in
//! one transaction; every change goes to the price history.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use belgrano_platform::csrf::CsrfForm;
use serde_json::{Value, json};

use super::super::{AdminLayout, Staff, StaffApi};
use super::{FormError, autor, pesos, value};
use crate::domain::catalogo::{AjustePrecios, Autor, Categoria, Negocio, PrecioNuevo, parse_bool};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

#[derive(serde::Deserialize)]
pub struct AjusteBody {
    porcentaje: Value,
    #[serde(default)]
    negocio: Option<String>,
    #[serde(default)]
    categoria: Option<String>,
    #[serde(default)]
    redondeo: Option<Value>,
    #[serde(default)]
    simular: Option<Value>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn run(
    state: &AppState,
    ajuste: &AjustePrecios,
    autor: &Autor,
    simular: bool,
) -> Result<Vec<PrecioNuevo>, ApiError> {
    let cambios = state.store.ajustar_precios(ajuste, autor, simular).await?;
    if !simular {
        tracing::info!(quien = %autor.email, productos = cambios.len(), porcentaje = ajuste.porcentaje, "ajuste de precios");
    }
    Ok(cambios)
}

pub async fn api(
    State(state): State<AppState>,
    staff: StaffApi,
    belgrano_platform::http::Json(body): belgrano_platform::http::Json<AjusteBody>,
) -> Result<Json<Value>, ApiError> {
    let simular = match &body.simular {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => parse_bool("simular", &text(other))?,
    };
    let refs = state.store.referencias().await?;
    let redondeo = body.redondeo.as_ref().map(text);
    let ajuste = AjustePrecios::parse(
        &text(&body.porcentaje),
        body.negocio.as_deref(),
        body.categoria.as_deref(),
        redondeo.as_deref(),
        &refs,
    )?;
    let cambios = run(&state, &ajuste, &autor(&staff.usuario), simular).await?;
    let list: Vec<Value> = cambios
        .iter()
        .map(|c| {
            json!({"id": c.id, "nombre": c.nombre, "precio_anterior": pesos(c.precio_anterior), "precio_nuevo": pesos(c.precio_nuevo)})
        })
        .collect();
    Ok(Json(json!({"exito": true, "simulado": simular, "aplicado": !simular, "count": list.len(), "cambios": list})))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/precios.html")]
pub struct Page {
    l: AdminLayout,
    negocios: Vec<Negocio>,
    categorias: Vec<Categoria>,
    porcentaje: String,
    negocio: String,
    categoria: String,
    redondeo: String,
    e: FormError,
    /// The preview (or what was applied).
    cambios: Vec<PrecioNuevo>,
    simulado: bool,
    aplicado: bool,
}

impl Page {
    fn general_error(&self) -> String {
        self.e.general(&["porcentaje", "negocio", "categoria", "redondeo"])
    }
}

async fn page_of(state: &AppState, staff: &Staff) -> Result<Page, ApiError> {
    Ok(Page {
        l: AdminLayout::new(staff, "Ajuste de precios"),
        negocios: state.store.negocios().await?,
        categorias: state.store.todas_las_categorias().await?,
        porcentaje: String::new(),
        negocio: String::new(),
        categoria: String::new(),
        redondeo: String::new(),
        e: FormError::default(),
        cambios: Vec::new(),
        simulado: false,
        aplicado: false,
    })
}

pub async fn page(State(state): State<AppState>, staff: Staff) -> Result<Response, PageError> {
    Ok(page_of(&state, &staff).await?.into_response())
}

/// "Ver cambios" (`accion=simular`) shows the preview; "Aplicar" applies.
pub async fn form(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut page = page_of(&state, &staff).await?;
    let v = |k: &str| value(&fields, k).unwrap_or("").to_owned();
    (page.porcentaje, page.negocio, page.categoria, page.redondeo) =
        (v("porcentaje"), v("negocio"), v("categoria"), v("redondeo"));
    let simular = v("accion") != "aplicar";
    let refs = state.store.referencias().await?;
    let parsed =
        AjustePrecios::parse(&page.porcentaje, Some(&page.negocio), Some(&page.categoria), Some(&page.redondeo), &refs);
    match parsed {
        Err(e) => {
            page.e = FormError(Some(e));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Ok(ajuste) => {
            page.cambios = run(&state, &ajuste, &autor(&staff.usuario), simular).await?;
            page.simulado = simular;
            page.aplicado = !simular;
            if !simular {
                page.l.aviso = format!("Listo: {} precios cambiados. La tienda ya los muestra.", page.cambios.len());
            }
            Ok(page.into_response())
        }
    }
}
