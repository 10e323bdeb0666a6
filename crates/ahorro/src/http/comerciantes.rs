//! The merchants' corner: `/comerciantes` (their orders and their bundles,
//! forms to create and edit them, pause, delete, "Pedir ahora"), the JSON
//! API under `/api/paquetes` that mirrors it, and the old system's
//! `/comerciantes/*` addresses, permanently moved (301 for GET, 308 for
//! POST) to their new place.
//!
//! Only merchant accounts: pages send anonymous visitors to the login and
//! answer 403 to other accounts; the API answers 401 and 403, and every
//! call that changes something carries `X-CSRF-Token`. Another merchant's
//! bundle is 404.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::{self, CsrfForm};
use belgrano_platform::http::Json;
use serde::{Deserialize, Serialize};

use super::checkout::{DireccionBody, ItemBody, List, Loose, NumText, Object, Text};
use super::error::{ApiError, PageError};
use super::extract::{NoFields, Visitor};
use super::layout::{Layout, login_to};
use super::seguimiento::absolute_url;
use super::state::AppState;
use crate::domain::checkout::DireccionInput;
use crate::domain::entrega::Franja;
use crate::domain::hora;
use crate::domain::paquete::{
    EjecucionGuardada, Frecuencia, ItemInput, NuevoPaquete, Omitido, Paquete, PaqueteInput, fecha_en_palabras,
};
use crate::domain::pedido::Pedido;
use crate::domain::usuario::Usuario;
use crate::paquetes::PaqueteError;
use crate::store::PaqueteRefusal;
use crate::tracking;

const NOT_MERCHANT: &str = "Esta sección es para cuentas de comerciante";
/// Product rows the create and edit forms offer.
const FILAS_NUEVAS: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/comerciantes", get(page))
        .route("/comerciantes/paquetes", get(|| moved("/comerciantes#paquetes")).post(crear_form))
        .route("/comerciantes/paquetes/{id}", get(editar_page).post(editar_form))
        .route("/comerciantes/paquetes/{id}/agregar", post(agregar_form))
        .route("/comerciantes/paquetes/{id}/pausar", post(pausar_form))
        .route("/comerciantes/paquetes/{id}/reanudar", post(reanudar_form))
        .route("/comerciantes/paquetes/{id}/borrar", post(borrar_form))
        .route("/comerciantes/paquetes/{id}/pedir", post(pedir_form))
        .route("/api/paquetes", get(api_list).post(api_create))
        .route("/api/paquetes/{id}", get(api_get).put(api_update).delete(api_delete))
        .route("/api/paquetes/{id}/pausar", post(api_pausar))
        .route("/api/paquetes/{id}/reanudar", post(api_reanudar))
        .route("/api/paquetes/{id}/procesar", post(api_procesar))
        // The old system's addresses.
        .route("/comerciantes/dashboard", old("/comerciantes"))
        .route("/comerciantes/registro", old("/register?next=%2Fcomerciantes"))
        .route("/comerciantes/login", old("/login?next=%2Fcomerciantes"))
        .route("/comerciantes/pedidos", old("/comerciantes#pedidos"))
        .route("/comerciantes/carrito", old("/carrito"))
        .route("/comerciantes/checkout", old("/checkout"))
        .route(
            "/comerciantes/paquetes/crear",
            get(|| moved("/comerciantes#nuevo")).post(|| moved_post("/comerciantes/paquetes")),
        )
        .route("/comerciantes/paquetes/{id}/editar", old_of("", ""))
        .route("/comerciantes/paquetes/{id}/agregar_producto", old_of("", "/agregar"))
        .route("/comerciantes/paquetes/{id}/procesar", old_of("", "/pedir"))
}

// ------------------------------------------------------------ old addresses

/// 301: a bookmark's new place.
async fn moved(to: &'static str) -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response()
}

/// 308: a form's new place (the method and body are kept).
async fn moved_post(to: &'static str) -> Response {
    Redirect::permanent(to).into_response()
}

fn old(to: &'static str) -> MethodRouter<AppState> {
    get(move || moved(to)).post(move || moved_post(to))
}

/// An old bundle address: GET to the bundle's page + `get_tail`, POST to
/// it + `post_tail`.
fn old_of(get_tail: &'static str, post_tail: &'static str) -> MethodRouter<AppState> {
    let to = |id: String, tail: &str| format!("/comerciantes/paquetes/{}{tail}", id_text(&id));
    get(move |Path(id): Path<String>| async move {
        (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to(id, get_tail))]).into_response()
    })
    .post(move |Path(id): Path<String>| async move { Redirect::permanent(&to(id, post_tail)).into_response() })
}

/// An id as the path carries it, kept only if it is one (the rest 404s there).
fn id_text(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).take(18).collect::<String>()
}

// ------------------------------------------------------------ who may enter

/// A path's bundle id: a positive integer, or 404.
fn paquete_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(ApiError::NotFound("No encontramos ese paquete"))
}

/// A merchant on a page: anonymous visitors go to the login, other
/// accounts get 403.
pub struct Comerciante {
    pub visitor: Visitor,
    pub usuario: Usuario,
}

impl FromRequestParts<AppState> for Comerciante {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state).await.map_err(ApiError::page)?;
        match visitor.usuario.clone() {
            None => {
                let here = if parts.method == Method::GET { parts.uri.path() } else { "/comerciantes" };
                Err(login_to(here))
            }
            Some(u) if !u.es_comerciante() => Err(ApiError::Forbidden(NOT_MERCHANT).page()),
            Some(usuario) => Ok(Comerciante { visitor, usuario }),
        }
    }
}

/// A merchant on the JSON API: 401, 403, and `X-CSRF-Token` on every call
/// but GET.
pub struct ComercianteApi {
    pub usuario: Usuario,
}

impl FromRequestParts<AppState> for ComercianteApi {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let Some(usuario) = visitor.usuario else { return Err(ApiError::LoginRequired) };
        if !usuario.es_comerciante() {
            return Err(ApiError::Forbidden(NOT_MERCHANT));
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            csrf::verify_header(parts).map_err(|_| ApiError::CsrfHeader)?;
        }
        Ok(ComercianteApi { usuario })
    }
}

impl From<PaqueteError> for ApiError {
    fn from(e: PaqueteError) -> Self {
        match e {
            PaqueteError::NotFound => ApiError::NotFound("No encontramos ese paquete"),
            PaqueteError::Conflict(f) => ApiError::Conflict(f),
            PaqueteError::Store(s) => s.into(),
        }
    }
}

// ------------------------------------------------------------ the JSON API

/// The body of `POST /api/paquetes` and `PUT /api/paquetes/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PaqueteBody {
    pub nombre: Text,
    pub frecuencia: Text,
    pub items: List<Object<ItemBody>>,
    /// A one-line text or the structured object; absent: the account's.
    pub direccion: DireccionBody,
    pub franja_id: NumText,
    pub proxima_fecha: Text,
}

impl PaqueteBody {
    fn input(self, usuario: &Usuario) -> Result<PaqueteInput, FieldError> {
        let items = match self.items.0 {
            Loose::Absent => return Err(FieldError::new("items", "es obligatorio: [{producto_id, cantidad}]")),
            Loose::Wrong => return Err(FieldError::new("items", "debe ser una lista")),
            Loose::Is(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item.0 {
                    Loose::Is(ItemBody { producto_id, cantidad }) => {
                        Ok(ItemInput { producto_id: producto_id.0, cantidad: cantidad.0 })
                    }
                    _ => Err(FieldError::new(format!("items[{i}]"), "debe ser un objeto {producto_id, cantidad}")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let direccion = match &self.direccion {
            DireccionBody::Absent => DireccionInput::Texto(usuario.direccion.clone()),
            DireccionBody::Texto(t) => DireccionInput::Texto(t.clone()),
            DireccionBody::Objeto(o) => DireccionInput::Estructurada(o.direccion()?),
            DireccionBody::Wrong => {
                return Err(FieldError::new("direccion", "debe ser un objeto {calle, altura, barrio, ...} o un texto"));
            }
        };
        Ok(PaqueteInput {
            nombre: self.nombre.or_empty("nombre")?,
            frecuencia: self.frecuencia.or_empty("frecuencia")?,
            items,
            direccion,
            franja_id: self.franja_id.or_empty("franja_id")?,
            proxima_fecha: self.proxima_fecha.or_empty("proxima_fecha")?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct PaqueteJson {
    pub id: i64,
    pub nombre: String,
    pub frecuencia: &'static str,
    pub proxima_fecha: String,
    pub direccion: String,
    pub franja_id: Option<i64>,
    pub activo: bool,
    pub items: Vec<ItemJson>,
}

#[derive(Debug, Serialize)]
pub struct ItemJson {
    pub producto_id: i64,
    pub cantidad: i64,
}

impl From<&Paquete> for PaqueteJson {
    fn from(p: &Paquete) -> Self {
        Self {
            id: p.id,
            nombre: p.nombre.clone(),
            frecuencia: p.frecuencia.as_str(),
            proxima_fecha: p.proxima_fecha.format("%Y-%m-%d").to_string(),
            direccion: p.direccion.clone(),
            franja_id: p.franja_id,
            activo: p.activo,
            items: p
                .items
                .iter()
                .map(|(producto_id, cantidad)| ItemJson { producto_id: *producto_id, cantidad: *cantidad })
                .collect(),
        }
    }
}

fn body_object(body: Object<PaqueteBody>) -> Result<PaqueteBody, ApiError> {
    match body.0 {
        Loose::Is(b) => Ok(b),
        _ => Err(FieldError::new("body", "se espera un objeto JSON").into()),
    }
}

async fn own(state: &AppState, usuario: &Usuario, raw: &str) -> Result<Paquete, ApiError> {
    let id = paquete_id(raw)?;
    state.store.paquete(usuario.id, id).await?.ok_or(ApiError::NotFound("No encontramos ese paquete"))
}

async fn api_list(State(state): State<AppState>, c: ComercianteApi) -> Result<Response, ApiError> {
    let paquetes: Vec<PaqueteJson> = state.store.paquetes_de(c.usuario.id).await?.iter().map(Into::into).collect();
    Ok(axum::Json(serde_json::json!({"success": true, "paquetes": paquetes})).into_response())
}

async fn api_get(
    State(state): State<AppState>,
    c: ComercianteApi,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = own(&state, &c.usuario, &id).await?;
    Ok(axum::Json(serde_json::json!({"success": true, "paquete": PaqueteJson::from(&p)})).into_response())
}

async fn api_create(
    State(state): State<AppState>,
    c: ComercianteApi,
    Json(body): Json<Object<PaqueteBody>>,
) -> Result<Response, ApiError> {
    let input = body_object(body)?.input(&c.usuario)?;
    let nuevo = NuevoPaquete::parse(input, state.paquetes.hoy())?;
    let id = state.store.crear_paquete(c.usuario.id, &nuevo).await??;
    let p = own(&state, &c.usuario, &id.to_string()).await?;
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({"success": true, "paquete": PaqueteJson::from(&p)})))
        .into_response())
}

async fn api_update(
    State(state): State<AppState>,
    c: ComercianteApi,
    Path(id): Path<String>,
    Json(body): Json<Object<PaqueteBody>>,
) -> Result<Response, ApiError> {
    let id = paquete_id(&id)?;
    let input = body_object(body)?.input(&c.usuario)?;
    let nuevo = NuevoPaquete::parse(input, state.paquetes.hoy())?;
    refused(state.store.actualizar_paquete(c.usuario.id, id, &nuevo).await?)?;
    let p = own(&state, &c.usuario, &id.to_string()).await?;
    Ok(axum::Json(serde_json::json!({"success": true, "paquete": PaqueteJson::from(&p)})).into_response())
}

fn refused(r: Result<(), PaqueteRefusal>) -> Result<(), ApiError> {
    match r {
        Ok(()) => Ok(()),
        Err(PaqueteRefusal::Invalid(f)) => Err(f.into()),
        Err(PaqueteRefusal::NotFound) => Err(ApiError::NotFound("No encontramos ese paquete")),
    }
}

async fn api_delete(
    State(state): State<AppState>,
    c: ComercianteApi,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = paquete_id(&id)?;
    if !state.store.borrar_paquete(c.usuario.id, id).await? {
        return Err(ApiError::NotFound("No encontramos ese paquete"));
    }
    Ok(axum::Json(serde_json::json!({"success": true})).into_response())
}

async fn set_activo(state: &AppState, usuario: &Usuario, raw: &str, activo: bool) -> Result<Paquete, ApiError> {
    let id = paquete_id(raw)?;
    if !state.store.pausar_paquete(usuario.id, id, activo).await? {
        return Err(ApiError::NotFound("No encontramos ese paquete"));
    }
    own(state, usuario, raw).await
}

async fn api_pausar(
    State(state): State<AppState>,
    c: ComercianteApi,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = set_activo(&state, &c.usuario, &id, false).await?;
    Ok(axum::Json(serde_json::json!({"success": true, "paquete": PaqueteJson::from(&p)})).into_response())
}

async fn api_reanudar(
    State(state): State<AppState>,
    c: ComercianteApi,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = set_activo(&state, &c.usuario, &id, true).await?;
    Ok(axum::Json(serde_json::json!({"success": true, "paquete": PaqueteJson::from(&p)})).into_response())
}

#[derive(Debug, Serialize)]
struct Procesado {
    success: bool,
    message: String,
    pedido: PedidoCreado,
    omitidos: Vec<Omitido>,
}

#[derive(Debug, Serialize)]
struct PedidoCreado {
    numero: String,
    seguimiento_url: String,
}

async fn api_procesar(
    State(state): State<AppState>,
    c: ComercianteApi,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = paquete_id(&id)?;
    let e = state.paquetes.pedir_ahora(&c.usuario, id).await?;
    let numero = e.pedido_numero.unwrap_or_default();
    let message = if e.omitidos.is_empty() {
        format!("Pedido {numero} hecho con tu paquete")
    } else {
        format!("Pedido {numero} hecho; quedaron afuera {} productos", e.omitidos.len())
    };
    let body = Procesado {
        success: true,
        message,
        pedido: PedidoCreado { seguimiento_url: absolute_url(&state, &headers, &numero), numero },
        omitidos: e.omitidos,
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

// ------------------------------------------------------------ the pages

/// The create and edit forms: fixed fields plus `producto_N` /
/// `cantidad_N` rows (read from the whole form).
#[derive(Debug, Clone, Default)]
pub struct PaqueteForm {
    pub nombre: String,
    pub frecuencia: String,
    pub proxima_fecha: String,
    pub direccion: String,
    pub franja_id: String,
    /// (producto_id, cantidad) as typed, one per row.
    pub filas: Vec<(String, String)>,
    /// "si": the cart's products (the rows are ignored).
    pub desde_carrito: String,
}

impl PaqueteForm {
    fn from_map(mut m: HashMap<String, String>) -> Self {
        let mut filas = Vec::new();
        for i in 0..100 {
            let (Some(p), q) = (m.remove(&format!("producto_{i}")), m.remove(&format!("cantidad_{i}"))) else {
                continue;
            };
            filas.push((p, q.unwrap_or_default()));
        }
        let mut take = |k: &str| m.remove(k).unwrap_or_default();
        PaqueteForm {
            nombre: take("nombre"),
            frecuencia: take("frecuencia"),
            proxima_fecha: take("proxima_fecha"),
            direccion: take("direccion"),
            franja_id: take("franja_id"),
            desde_carrito: take("desde_carrito"),
            filas,
        }
    }

    fn of(p: &Paquete) -> Self {
        PaqueteForm {
            nombre: p.nombre.clone(),
            frecuencia: p.frecuencia.as_str().to_owned(),
            proxima_fecha: p.proxima_fecha.format("%Y-%m-%d").to_string(),
            direccion: p.direccion.clone(),
            franja_id: p.franja_id.map(|f| f.to_string()).unwrap_or_default(),
            filas: p.items.iter().map(|(id, q)| (id.to_string(), q.to_string())).collect(),
            desde_carrito: String::new(),
        }
    }

    /// With empty rows to add products.
    fn with_blank_rows(mut self) -> Self {
        self.filas.retain(|(p, _)| !p.trim().is_empty());
        self.filas.extend(std::iter::repeat_n((String::new(), "1".to_owned()), FILAS_NUEVAS));
        self
    }

    /// The rows chosen (a row without a product is skipped).
    fn input(&self, carrito: Option<Vec<ItemInput>>, structured: Option<&Paquete>) -> PaqueteInput {
        let items = carrito.unwrap_or_else(|| {
            self.filas
                .iter()
                .filter(|(p, _)| !p.trim().is_empty())
                .map(|(p, q)| ItemInput { producto_id: p.trim().parse().ok(), cantidad: q.trim().parse().ok() })
                .collect()
        });
        // The one-line text edits the address; a structured one kept while unchanged.
        let direccion =
            match structured.and_then(|p| p.direccion_estructurada.clone().filter(|_| p.direccion == self.direccion)) {
                Some(d) => DireccionInput::Estructurada(d),
                None => DireccionInput::Texto(self.direccion.clone()),
            };
        PaqueteInput {
            nombre: self.nombre.clone(),
            frecuencia: self.frecuencia.clone(),
            items,
            direccion,
            franja_id: self.franja_id.clone(),
            proxima_fecha: self.proxima_fecha.clone(),
        }
    }
}

/// A bundle as its card shows it.
pub struct PaqueteVista {
    pub p: Paquete,
    /// (nombre, cantidad, precio de hoy de la línea).
    pub lineas: Vec<(String, i64, String)>,
    pub total: String,
    pub franja: String,
    pub proxima: String,
}

/// One franja for the select: (id, "jueves de 15:00 a 18:00").
fn franja_label(f: &Franja) -> String {
    format!(
        "{} de {} a {}",
        hora::DIAS.get(f.dia.saturating_sub(1) as usize).copied().unwrap_or("?"),
        f.desde.format("%H:%M"),
        f.hasta.format("%H:%M")
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "comerciantes.html")]
pub struct ComerciantesPage {
    pub l: Layout,
    pub negocio: String,
    pub pedidos: Vec<(Pedido, String)>,
    pub paquetes: Vec<PaqueteVista>,
    pub ejecuciones: Vec<(EjecucionGuardada, String)>,
    pub f: PaqueteForm,
    /// (id, "nombre — precio") of every product sold.
    pub productos: Vec<(String, String)>,
    /// (id, "jueves de 15:00 a 18:00").
    pub franjas: Vec<(String, String)>,
    pub frecuencias: Vec<(&'static str, &'static str)>,
    pub hoy: String,
    pub carrito_unidades: i64,
    pub error: String,
    pub campo: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "paquete_editar.html")]
pub struct EditarPage {
    pub l: Layout,
    pub p: Paquete,
    pub f: PaqueteForm,
    /// (id, "nombre — precio") of every product sold.
    pub productos: Vec<(String, String)>,
    /// (id, "jueves de 15:00 a 18:00").
    pub franjas: Vec<(String, String)>,
    pub frecuencias: Vec<(&'static str, &'static str)>,
    pub hoy: String,
    pub error: String,
    pub campo: String,
}

fn frecuencias() -> Vec<(&'static str, &'static str)> {
    Frecuencia::ALL.iter().map(|f| (f.as_str(), f.label())).collect()
}

type Opciones = Vec<(String, String)>;

async fn catalogo(state: &AppState) -> Result<(Opciones, Opciones), ApiError> {
    let productos = state
        .store
        .todos_los_productos()
        .await?
        .into_iter()
        .filter(|p| p.activo)
        .map(|p| (p.id.to_string(), format!("{} — {}", p.nombre, p.precio_ars())))
        .collect();
    let ajustes = state.store.ajustes_entrega().await?;
    let franjas = ajustes.franjas.iter().map(|f| (f.id.to_string(), franja_label(f))).collect();
    Ok((productos, franjas))
}

/// A Spanish sentence for a bundle form's error.
fn message(e: &FieldError) -> String {
    let campo = match e.field.as_str() {
        "nombre" => "El nombre",
        "frecuencia" => "La frecuencia",
        "proxima_fecha" => "La próxima fecha",
        "franja_id" => "La franja preferida",
        "direccion" => "La dirección",
        "items" => "Los productos",
        "pedir" => "No se pudo pedir",
        f if f.starts_with("items[") => "Un producto del paquete",
        _ => return super::layout::message(e),
    };
    format!("{campo}: {}.", e.message)
}

/// The error's field as the form names it: `items[2].cantidad` → `items`.
fn campo(e: &FieldError) -> String {
    if e.field.starts_with("items") { "items".into() } else { e.field.split('.').next().unwrap_or_default().to_owned() }
}

async fn render(
    state: &AppState,
    c: &Comerciante,
    f: PaqueteForm,
    error: Option<&FieldError>,
    aviso: &str,
    status: StatusCode,
) -> Result<Response, PageError> {
    let u = &c.usuario;
    let mut l = Layout::new(state, &c.visitor, "Mis paquetes").await?;
    l.aviso = aviso.to_owned();
    let pedidos = state
        .store
        .pedidos_de(u.id, 20)
        .await?
        .into_iter()
        .map(|p| {
            let s = tracking::path(state.secret(), p.numero.as_str());
            (p, s)
        })
        .collect();
    let paquetes = state.store.paquetes_de(u.id).await?;
    let ids: Vec<i64> = paquetes.iter().flat_map(|p| p.items.iter().map(|(id, _)| *id)).collect();
    let precios = state.store.productos_por_id(&ids).await?;
    let (productos, franjas) = catalogo(state).await?;
    let vistas = paquetes
        .into_iter()
        .map(|p| {
            let mut total = belgrano_contract::Centavos(0);
            let lineas = p
                .items
                .iter()
                .map(|(id, q)| match precios.iter().find(|x| x.id == *id) {
                    Some(x) => {
                        total = total + x.precio * *q;
                        (x.nombre.clone(), *q, (x.precio * *q).format_ars())
                    }
                    None => (format!("Producto #{id} (ya no está)"), *q, "—".to_owned()),
                })
                .collect();
            let franja = p
                .franja_id
                .and_then(|id| franjas.iter().find(|(f, _)| *f == id.to_string()).map(|(_, l)| l.clone()))
                .unwrap_or_else(|| "la primera con lugar".to_owned());
            PaqueteVista { proxima: fecha_en_palabras(p.proxima_fecha), total: total.format_ars(), lineas, franja, p }
        })
        .collect::<Vec<_>>();
    let ejecuciones = state
        .store
        .ejecuciones_de(u.id, 20)
        .await?
        .into_iter()
        .map(|e| {
            let nombre = vistas.iter().find(|v| v.p.id == e.paquete_id).map(|v| v.p.nombre.clone()).unwrap_or_default();
            (e, nombre)
        })
        .collect();
    let carrito_unidades = l.unidades;
    let page = ComerciantesPage {
        l,
        negocio: u.nombre_negocio.clone().unwrap_or_else(|| u.nombre_completo()),
        pedidos,
        paquetes: vistas,
        ejecuciones,
        f,
        productos,
        franjas,
        frecuencias: frecuencias(),
        hoy: state.paquetes.hoy().format("%Y-%m-%d").to_string(),
        carrito_unidades,
        error: error.map(message).unwrap_or_default(),
        campo: error.map(campo).unwrap_or_default(),
    };
    Ok((status, page).into_response())
}

fn blank_form(u: &Usuario) -> PaqueteForm {
    PaqueteForm { frecuencia: "semanal".into(), direccion: u.direccion.clone(), ..Default::default() }.with_blank_rows()
}

/// What the last form did, after its redirect (so a reload repeats nothing).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Hecho {
    guardado: String,
    borrado: String,
    pedido: String,
}

async fn page(State(state): State<AppState>, c: Comerciante, Query(h): Query<Hecho>) -> Result<Response, PageError> {
    let f = blank_form(&c.usuario);
    let mut aviso = String::new();
    if let Ok(id) = h.guardado.parse::<i64>()
        && let Some(p) = state.store.paquete(c.usuario.id, id).await?
    {
        aviso = format!(
            "Guardamos el paquete «{}»: el primer pedido sale el {}.",
            p.nombre,
            fecha_en_palabras(p.proxima_fecha)
        );
    } else if h.borrado == "si" {
        aviso = "Borramos el paquete.".into();
    } else if !h.pedido.is_empty() {
        let hecha = state
            .store
            .ejecuciones_de(c.usuario.id, 20)
            .await?
            .into_iter()
            .find(|e| e.pedido_numero.as_deref() == Some(h.pedido.as_str()));
        if let Some(e) = hecha {
            aviso = format!("Hicimos el pedido {}.", h.pedido);
            if !e.omitidos.is_empty() {
                let afuera: Vec<String> = e.omitidos.iter().map(|o| format!("{} ({})", o.nombre, o.motivo)).collect();
                aviso.push_str(&format!(" Quedaron afuera: {}.", afuera.join(", ")));
            }
        }
    }
    render(&state, &c, f, None, &aviso, StatusCode::OK).await
}

async fn crear_form(
    State(state): State<AppState>,
    c: Comerciante,
    CsrfForm(m): CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let f = PaqueteForm::from_map(m);
    let carrito = if f.desde_carrito == "si" {
        Some(ItemInput::from_carrito(&state.store.carrito(&c.visitor.carrito_owner()).await?))
    } else {
        None
    };
    let parsed = NuevoPaquete::parse(f.input(carrito, None), state.paquetes.hoy());
    let result = match parsed {
        Ok(nuevo) => state.store.crear_paquete(c.usuario.id, &nuevo).await?,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/comerciantes?guardado={id}#paquete-{id}")).into_response()),
        Err(e) => render(&state, &c, f.with_blank_rows(), Some(&e), "", StatusCode::BAD_REQUEST).await,
    }
}

async fn render_editar(
    state: &AppState,
    c: &Comerciante,
    p: Paquete,
    f: PaqueteForm,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (productos, franjas) = catalogo(state).await?;
    let page = EditarPage {
        l: Layout::new(state, &c.visitor, format!("Paquete «{}»", p.nombre)).await?,
        p,
        f: f.with_blank_rows(),
        productos,
        franjas,
        frecuencias: frecuencias(),
        hoy: state.paquetes.hoy().format("%Y-%m-%d").to_string(),
        error: error.map(message).unwrap_or_default(),
        campo: error.map(campo).unwrap_or_default(),
    };
    Ok((status, page).into_response())
}

async fn editar_page(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = own(&state, &c.usuario, &id).await?;
    let f = PaqueteForm::of(&p);
    render_editar(&state, &c, p, f, None, StatusCode::OK).await
}

async fn editar_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(m): CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = own(&state, &c.usuario, &id).await?;
    let f = PaqueteForm::from_map(m);
    let result = match NuevoPaquete::parse(f.input(None, Some(&p)), state.paquetes.hoy()) {
        Ok(nuevo) => match state.store.actualizar_paquete(c.usuario.id, p.id, &nuevo).await? {
            Ok(()) => Ok(()),
            Err(PaqueteRefusal::Invalid(e)) => Err(e),
            Err(PaqueteRefusal::NotFound) => return Err(ApiError::NotFound("No encontramos ese paquete").into()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/comerciantes#paquetes").into_response()),
        Err(e) => render_editar(&state, &c, p, f, Some(&e), StatusCode::BAD_REQUEST).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Agregar {
    producto_id: String,
    cantidad: String,
}

/// Adds one product to a bundle (the old system's "agregar producto").
async fn agregar_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(a): CsrfForm<Agregar>,
) -> Result<Response, PageError> {
    let p = own(&state, &c.usuario, &id).await?;
    let mut f = PaqueteForm::of(&p);
    let cantidad = if a.cantidad.trim().is_empty() { "1".to_owned() } else { a.cantidad };
    f.filas.push((a.producto_id, cantidad));
    let result = match NuevoPaquete::parse(f.input(None, Some(&p)), state.paquetes.hoy()) {
        Ok(nuevo) => match state.store.actualizar_paquete(c.usuario.id, p.id, &nuevo).await? {
            Ok(()) => Ok(()),
            Err(PaqueteRefusal::Invalid(e)) => Err(e),
            Err(PaqueteRefusal::NotFound) => return Err(ApiError::NotFound("No encontramos ese paquete").into()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/comerciantes/paquetes/{}", p.id)).into_response()),
        Err(e) => render_editar(&state, &c, p, f, Some(&e), StatusCode::BAD_REQUEST).await,
    }
}

async fn pausar_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    set_activo(&state, &c.usuario, &id, false).await?;
    Ok(Redirect::to("/comerciantes#paquetes").into_response())
}

async fn reanudar_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    set_activo(&state, &c.usuario, &id, true).await?;
    Ok(Redirect::to("/comerciantes#paquetes").into_response())
}

async fn borrar_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let id = paquete_id(&id)?;
    if !state.store.borrar_paquete(c.usuario.id, id).await? {
        return Err(ApiError::NotFound("No encontramos ese paquete").into());
    }
    Ok(Redirect::to("/comerciantes?borrado=si#paquetes").into_response())
}

async fn pedir_form(
    State(state): State<AppState>,
    c: Comerciante,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let id = paquete_id(&id)?;
    let f = blank_form(&c.usuario);
    match state.paquetes.pedir_ahora(&c.usuario, id).await {
        Ok(e) => {
            let numero = e.pedido_numero.unwrap_or_default();
            Ok(Redirect::to(&format!("/comerciantes?pedido={numero}#paquetes")).into_response())
        }
        Err(PaqueteError::Conflict(e)) => {
            let e = FieldError::new("pedir", e.message);
            render(&state, &c, f, Some(&e), "", StatusCode::CONFLICT).await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}
