//! Products in the back office: the list with its filters (the low-stock
//! list is one of them), create, edit, deactivate, stock set and adjusted,
//! the price history, and the catalogue as CSV (export; all-or-nothing
//! import with a preview).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::{self, CSRF_FIELD, CSRF_HEADER, CsrfForm};
use belgrano_platform::http::url_encode;
use serde::Serialize;
use serde_json::{Value, json};

use super::super::{AdminLayout, Staff, StaffApi};
use super::{FormError, autor, pesos, value, values};
use crate::domain::catalogo::{
    ADMIN_PAGE_SIZE, AdminProductoQuery, Autor, Cambio, Categoria, CsvError, Importado, Negocio, PrecioCambio,
    Producto, ProductoDatos, ProductoDatosConId, ProductoInput, STOCK_BAJO, StockCambio, Sucursal, Unidad, csv_pesos,
    exportar_csv, importar_csv, parse_bool, parse_entero,
};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

/// A product as the admin API shows it.
#[derive(Serialize)]
pub(super) struct ProductoJson {
    id: i64,
    nombre: String,
    descripcion: String,
    precio: f64,
    precio_original: Option<f64>,
    stock: i64,
    unidad: &'static str,
    medida: Option<&'static str>,
    precio_por_medida: Option<f64>,
    negocio: String,
    categoria: String,
    sucursales: Vec<String>,
    destacado: bool,
    activo: bool,
    disponible: bool,
    /// The uploaded photo (page size), null without one.
    imagen_url: Option<String>,
}

impl From<&Producto> for ProductoJson {
    fn from(p: &Producto) -> Self {
        ProductoJson {
            id: p.id,
            nombre: p.nombre.clone(),
            descripcion: p.descripcion.clone(),
            precio: pesos(p.precio),
            precio_original: p.precio_original.map(pesos),
            stock: p.stock,
            unidad: p.unidad.as_str(),
            medida: p.precio_por_medida.map(|(_, m)| m.as_str()),
            precio_por_medida: p.precio_por_medida.map(|(c, _)| pesos(c)),
            negocio: p.negocio_id.clone(),
            categoria: p.categoria_id.clone(),
            sucursales: p.sucursales.clone(),
            destacado: p.destacado,
            activo: p.activo,
            disponible: p.disponible(),
            imagen_url: p.imagen_url(),
        }
    }
}

fn historial_json(h: &[PrecioCambio]) -> Vec<Value> {
    h.iter()
        .map(|c| {
            json!({
                "precio_anterior": pesos(c.precio_anterior),
                "precio_nuevo": pesos(c.precio_nuevo),
                "quien": c.quien,
                "origen": c.origen,
                "fecha": c.fecha.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        })
        .collect()
}

/// The list's filters from a query string.
fn query(params: &HashMap<String, String>) -> Result<AdminProductoQuery, ApiError> {
    let text = |k: &str| params.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let flag = |k: &str| text(k).map(|v| parse_bool(k, &v)).transpose();
    let stock_max = match text("stock_max") {
        Some(v) => Some(parse_entero("stock_max", &v)?),
        None if flag("stock_bajo")?.unwrap_or(false) => Some(STOCK_BAJO),
        None => None,
    };
    let page = match text("pagina") {
        Some(v) => parse_entero("pagina", &v)?.clamp(1, 10_000),
        None => 1,
    };
    Ok(AdminProductoQuery {
        busqueda: text("busqueda").map(|b| b.chars().take(100).collect()),
        negocio: text("negocio"),
        categoria: text("categoria"),
        activo: flag("activo")?,
        sin_stock: flag("sin_stock")?.unwrap_or(false),
        destacado: flag("destacado")?,
        stock_max,
        page,
    })
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().map_err(|_| ApiError::NotFound("producto no encontrado"))
}

async fn load(state: &AppState, id: &str) -> Result<Producto, ApiError> {
    state.store.producto(parse_id(id)?).await?.ok_or(ApiError::NotFound("producto no encontrado"))
}

/// Validates `input` over the product and saves it; a save that raced
/// another is validated again over what is stored now.
async fn update(state: &AppState, id: i64, input: &ProductoInput, autor: &Autor) -> Result<Producto, ApiError> {
    let refs = state.store.referencias().await?;
    let mut current = state.store.producto(id).await?.ok_or(ApiError::NotFound("producto no encontrado"))?;
    for _ in 0..5 {
        let base = ProductoDatos::from(&current);
        let datos = input.parse(Some(&base), &refs)?;
        match state.store.actualizar_producto(id, &base, &datos, autor).await? {
            Cambio::Hecho(None) => break,
            Cambio::Hecho(Some(now)) => current = now,
            Cambio::NoExiste => return Err(ApiError::NotFound("producto no encontrado")),
            Cambio::Invalido(e) => return Err(e.into()),
        }
    }
    state.store.producto(id).await?.ok_or(ApiError::NotFound("producto no encontrado"))
}

async fn create(state: &AppState, input: &ProductoInput, autor: &Autor) -> Result<Producto, ApiError> {
    let datos = input.parse(None, &state.store.referencias().await?)?;
    let id = state.store.crear_producto(&datos, autor).await?;
    state.store.producto(id).await?.ok_or(ApiError::NotFound("producto no encontrado"))
}

async fn set_stock(state: &AppState, id: i64, cambio: StockCambio) -> Result<i64, ApiError> {
    match state.store.cambiar_stock(id, cambio).await? {
        Cambio::Hecho(stock) => Ok(stock),
        Cambio::NoExiste => Err(ApiError::NotFound("producto no encontrado")),
        Cambio::Invalido(e) => Err(e.into()),
    }
}

// --- JSON ------------------------------------------------------------------

pub async fn api_list(
    State(state): State<AppState>,
    _staff: StaffApi,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let q = query(&params)?;
    let (productos, total) = state.store.admin_productos(&q).await?;
    let productos: Vec<ProductoJson> = productos.iter().map(Into::into).collect();
    let paginas = ((total + ADMIN_PAGE_SIZE - 1) / ADMIN_PAGE_SIZE).max(1);
    Ok(Json(json!({"productos": productos, "total": total, "pagina": q.page.max(1), "paginas": paginas})))
}

pub async fn api_create(
    State(state): State<AppState>,
    staff: StaffApi,
    belgrano_platform::http::Json(input): belgrano_platform::http::Json<ProductoInput>,
) -> Result<Response, ApiError> {
    let p = create(&state, &input, &autor(&staff.usuario)).await?;
    Ok((StatusCode::CREATED, Json(json!({"exito": true, "producto": ProductoJson::from(&p)}))).into_response())
}

pub async fn api_get(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = load(&state, &id).await?;
    let historial = state.store.historial_precios(p.id).await?;
    Ok(Json(json!({"producto": ProductoJson::from(&p), "historial_precios": historial_json(&historial)})))
}

pub async fn api_patch(
    State(state): State<AppState>,
    staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(input): belgrano_platform::http::Json<ProductoInput>,
) -> Result<Json<Value>, ApiError> {
    let p = update(&state, parse_id(&id)?, &input, &autor(&staff.usuario)).await?;
    Ok(Json(json!({"exito": true, "producto": ProductoJson::from(&p)})))
}

#[derive(serde::Deserialize)]
pub struct StockBody {
    #[serde(default)]
    stock: Option<Value>,
    #[serde(default)]
    ajuste: Option<Value>,
}

fn text_of(v: &Option<Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

pub async fn api_stock(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    belgrano_platform::http::Json(body): belgrano_platform::http::Json<StockBody>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let cambio = StockCambio::parse(text_of(&body.stock).as_deref(), text_of(&body.ajuste).as_deref())?;
    let stock = set_stock(&state, id, cambio).await?;
    Ok(Json(json!({"exito": true, "id": id, "stock": stock})))
}

pub async fn api_export(State(state): State<AppState>, _staff: StaffApi) -> Result<Response, ApiError> {
    let productos = state.store.todos_los_productos().await?;
    let bytes = exportar_csv(&productos).map_err(|e| ApiError::Unavailable(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"productos.csv\"")),
        ],
        bytes,
    )
        .into_response())
}

/// What an import did (or, simulated, would do).
struct Resultado {
    importado: Importado,
    filas: Vec<FilaResumen>,
}

#[derive(Serialize)]
pub(super) struct FilaResumen {
    linea: u64,
    id: Option<i64>,
    nombre: String,
    precio: String,
    precio_anterior: Option<String>,
}

async fn import(
    state: &AppState,
    autor: &Autor,
    bytes: &[u8],
    simular: bool,
) -> Result<Result<Resultado, Vec<CsvError>>, ApiError> {
    for _ in 0..5 {
        let productos = state.store.todos_los_productos().await?;
        let existentes: Vec<ProductoDatosConId> =
            productos.iter().map(|p| ProductoDatosConId { id: p.id, datos: ProductoDatos::from(p) }).collect();
        let filas = match importar_csv(bytes, &state.store.referencias().await?, &existentes) {
            Ok(filas) => filas,
            Err(errores) => return Ok(Err(errores)),
        };
        if let Some(importado) = state.store.importar(&filas, &existentes, autor, simular).await? {
            let filas = filas
                .iter()
                .map(|f| FilaResumen {
                    linea: f.linea,
                    id: f.id,
                    nombre: f.datos.nombre.clone(),
                    precio: f.datos.precio.format_ars(),
                    precio_anterior: f
                        .id
                        .and_then(|id| productos.iter().find(|p| p.id == id))
                        .filter(|p| p.precio != f.datos.precio)
                        .map(|p| p.precio.format_ars()),
                })
                .collect();
            return Ok(Ok(Resultado { importado, filas }));
        }
    }
    Err(ApiError::Unavailable(anyhow::anyhow!("the catalogue kept changing during an import")))
}

fn csv_refused(errores: &[CsvError]) -> Response {
    let body = json!({
        "success": false,
        "error": format!("El archivo tiene {} línea(s) con errores: no se cambió nada", errores.len()),
        "campo": "archivo",
        "errores": errores,
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

pub async fn api_import(
    State(state): State<AppState>,
    staff: StaffApi,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let simular = match params.get("simular") {
        Some(v) => parse_bool("simular", v)?,
        None => false,
    };
    match import(&state, &autor(&staff.usuario), &body, simular).await? {
        Err(errores) => Ok(csv_refused(&errores)),
        Ok(r) => Ok(Json(json!({
            "exito": true,
            "simulado": simular,
            "actualizados": r.importado.actualizados.len(),
            "creados": r.importado.creados.len(),
            "ids_creados": if simular { Vec::new() } else { r.importado.creados },
            "filas": r.filas,
        }))
        .into_response()),
    }
}

// --- Pages -----------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "admin/productos.html")]
pub struct ListPage {
    l: AdminLayout,
    productos: Vec<Producto>,
    total: i64,
    pagina: i64,
    paginas: i64,
    negocios: Vec<Negocio>,
    categorias: Vec<Categoria>,
    /// The filters as typed, to fill the form again.
    f: HashMap<String, String>,
    /// The query string without `pagina`, for the page links.
    base: String,
    error: String,
}

impl ListPage {
    fn filtro(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }

    fn negocio_de(&self, id: &str) -> String {
        self.negocios.iter().find(|n| n.id == id).map_or_else(|| id.to_owned(), |n| n.nombre.clone())
    }

    fn categoria_de(&self, id: &str) -> String {
        self.categorias.iter().find(|c| c.id == id).map_or_else(|| id.to_owned(), |c| c.nombre.clone())
    }
}

pub async fn list_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let (q, error) = match query(&params) {
        Ok(q) => (q, String::new()),
        Err(ApiError::Validation(e)) => (AdminProductoQuery::default(), format!("Filtro {}: {}.", e.field, e.message)),
        Err(e) => return Err(e.into()),
    };
    let (productos, total) = state.store.admin_productos(&q).await?;
    let title = if q.stock_max.is_some() { "Stock bajo" } else { "Productos" };
    let mut base = String::new();
    for (k, v) in params.iter().filter(|(k, v)| *k != "pagina" && !v.is_empty()) {
        base.push_str(&format!("{}={}&", url_encode(k), url_encode(v)));
    }
    Ok(ListPage {
        l: AdminLayout::new(&staff, title),
        productos,
        total,
        pagina: q.page.max(1),
        paginas: ((total + ADMIN_PAGE_SIZE - 1) / ADMIN_PAGE_SIZE).max(1),
        negocios: state.store.negocios().await?,
        categorias: state.store.todas_las_categorias().await?,
        f: params,
        base,
        error,
    }
    .into_response())
}

/// A product form's values as typed (or as stored).
#[derive(Debug, Clone, Default)]
pub struct ProductoForm {
    nombre: String,
    descripcion: String,
    precio: String,
    precio_original: String,
    stock: String,
    unidad: String,
    medida: String,
    precio_por_medida: String,
    negocio: String,
    categoria: String,
    sucursales: Vec<String>,
    destacado: bool,
    activo: bool,
}

impl ProductoForm {
    fn of(p: &Producto) -> Self {
        ProductoForm {
            nombre: p.nombre.clone(),
            descripcion: p.descripcion.clone(),
            precio: csv_pesos(p.precio),
            precio_original: p.precio_original.map(csv_pesos).unwrap_or_default(),
            stock: p.stock.to_string(),
            unidad: p.unidad.as_str().to_owned(),
            medida: p.precio_por_medida.map(|(_, m)| m.as_str().to_owned()).unwrap_or_default(),
            precio_por_medida: p.precio_por_medida.map(|(c, _)| csv_pesos(c)).unwrap_or_default(),
            negocio: p.negocio_id.clone(),
            categoria: p.categoria_id.clone(),
            sucursales: p.sucursales.clone(),
            destacado: p.destacado,
            activo: p.activo,
        }
    }

    fn from_fields(fields: &[(String, String)]) -> Self {
        let v = |k: &str| value(fields, k).unwrap_or("").to_owned();
        ProductoForm {
            nombre: v("nombre"),
            descripcion: v("descripcion"),
            precio: v("precio"),
            precio_original: v("precio_original"),
            stock: v("stock"),
            unidad: v("unidad"),
            medida: v("medida"),
            precio_por_medida: v("precio_por_medida"),
            negocio: v("negocio"),
            categoria: v("categoria"),
            sucursales: values(fields, "sucursales"),
            destacado: value(fields, "destacado").is_some(),
            activo: value(fields, "activo").is_some(),
        }
    }

    /// The input: every field as typed; stock only for a new product (an
    /// edit changes stock with its own forms, so a sale meanwhile is not
    /// undone).
    fn input(&self, nuevo: bool) -> ProductoInput {
        let flag = |b: bool| Some(if b { "si" } else { "no" }.to_owned());
        ProductoInput {
            nombre: Some(self.nombre.clone()),
            descripcion: Some(self.descripcion.clone()),
            precio: Some(self.precio.clone()),
            precio_original: Some(self.precio_original.clone()),
            stock: nuevo.then(|| self.stock.clone()),
            unidad: Some(self.unidad.clone()),
            medida: Some(self.medida.clone()),
            precio_por_medida: Some(self.precio_por_medida.clone()),
            negocio: Some(self.negocio.clone()),
            categoria: Some(self.categoria.clone()),
            sucursales: Some(self.sucursales.clone()),
            destacado: flag(self.destacado),
            activo: flag(self.activo),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/productos_form.html")]
pub struct FormPage {
    l: AdminLayout,
    /// None for a new product.
    p: Option<Producto>,
    f: ProductoForm,
    e: FormError,
    stock_e: FormError,
    negocios: Vec<Negocio>,
    categorias: Vec<Categoria>,
    sucursales: Vec<Sucursal>,
    historial: Vec<PrecioCambio>,
    unidades: [Unidad; 3],
}

const FORM_FIELDS: [&str; 12] = [
    "nombre",
    "descripcion",
    "precio",
    "precio_original",
    "stock",
    "unidad",
    "medida",
    "precio_por_medida",
    "negocio",
    "categoria",
    "sucursales",
    "destacado",
];

impl FormPage {
    fn general_error(&self) -> String {
        self.e.general(&FORM_FIELDS)
    }

    fn stock_error(&self) -> String {
        self.stock_e.of("stock") + &self.stock_e.of("ajuste")
    }

    fn sucursal_marcada(&self, id: &str) -> bool {
        self.f.sucursales.iter().any(|s| s == id)
    }
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    p: Option<Producto>,
    f: ProductoForm,
    e: FormError,
    stock_e: FormError,
) -> Result<FormPage, ApiError> {
    let historial = match &p {
        Some(p) => state.store.historial_precios(p.id).await?,
        None => Vec::new(),
    };
    let title = p.as_ref().map_or_else(|| "Nuevo producto".to_owned(), |p| format!("{} (#{})", p.nombre, p.id));
    Ok(FormPage {
        l: AdminLayout::new(staff, title),
        p,
        f,
        e,
        stock_e,
        negocios: state.store.negocios().await?,
        categorias: state.store.todas_las_categorias().await?,
        sucursales: state.store.todas_las_sucursales().await?,
        historial,
        unidades: Unidad::ALL,
    })
}

pub async fn new_page(State(state): State<AppState>, staff: Staff) -> Result<Response, PageError> {
    let f = ProductoForm { activo: true, stock: "0".into(), unidad: "unidad".into(), ..Default::default() };
    Ok(form_page(&state, &staff, None, f, FormError::default(), FormError::default()).await?.into_response())
}

pub async fn create_form(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = ProductoForm::from_fields(&fields);
    match create(&state, &f.input(true), &autor(&staff.usuario)).await {
        Ok(p) => Ok(Redirect::to(&format!("/admin/productos/{}?guardado=1", p.id)).into_response()),
        Err(ApiError::Validation(e)) => {
            let page = form_page(&state, &staff, None, f, FormError(Some(e)), FormError::default()).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = load(&state, &id).await?;
    let f = ProductoForm::of(&p);
    let mut page = form_page(&state, &staff, Some(p), f, FormError::default(), FormError::default()).await?;
    if params.contains_key("guardado") {
        page.l.aviso = "Guardado: la tienda ya lo muestra.".into();
    } else if params.contains_key("stock") {
        page.l.aviso = "Stock actualizado.".into();
    }
    Ok(page.into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = load(&state, &id).await?;
    let f = ProductoForm::from_fields(&fields);
    match update(&state, p.id, &f.input(false), &autor(&staff.usuario)).await {
        Ok(p) => Ok(Redirect::to(&format!("/admin/productos/{}?guardado=1", p.id)).into_response()),
        Err(ApiError::Validation(e)) => {
            let f = ProductoForm { stock: p.stock.to_string(), ..f };
            let page = form_page(&state, &staff, Some(p), f, FormError(Some(e)), FormError::default()).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn stock_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = load(&state, &id).await?;
    let result = match StockCambio::parse(value(&fields, "stock"), value(&fields, "ajuste")) {
        Ok(cambio) => set_stock(&state, p.id, cambio).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/productos/{}?stock=1", p.id)).into_response()),
        Err(ApiError::Validation(e)) => {
            let f = ProductoForm::of(&p);
            let page = form_page(&state, &staff, Some(p), f, FormError::default(), FormError(Some(e))).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn deactivate_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = load(&state, &id).await?;
    let input = ProductoInput { activo: Some("no".into()), ..Default::default() };
    update(&state, p.id, &input, &autor(&staff.usuario)).await?;
    Ok(Redirect::to(&format!("/admin/productos/{}?guardado=1", p.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/productos_importar.html")]
pub struct ImportPage {
    l: AdminLayout,
    errores: Vec<CsvError>,
    /// The preview of a good file (and its text, to apply it).
    filas: Vec<FilaResumen>,
    actualizados: usize,
    creados: usize,
    simulado: bool,
    contenido: String,
    error: String,
}

impl ImportPage {
    fn empty(staff: &Staff) -> Self {
        ImportPage {
            l: AdminLayout::new(staff, "Importar productos (CSV)"),
            errores: Vec::new(),
            filas: Vec::new(),
            actualizados: 0,
            creados: 0,
            simulado: false,
            contenido: String::new(),
            error: String::new(),
        }
    }
}

pub async fn import_page(staff: Staff) -> Response {
    ImportPage::empty(&staff).into_response()
}

/// The upload (multipart: `csrf`, `archivo`, `simular`) or the preview's
/// "Aplicar" (a form with the file's text in `contenido`).
pub async fn import_form(State(state): State<AppState>, staff: Staff, request: Request) -> Result<Response, PageError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (bytes, simular) = if is_multipart {
        let (parts, body) = request.into_parts();
        let mut multipart = Multipart::from_request(Request::from_parts(parts.clone(), body), &state)
            .await
            .map_err(|_| ApiError::BadForm)?;
        let (mut token, mut file, mut simular) = (String::new(), Vec::new(), false);
        while let Some(field) = multipart.next_field().await.map_err(|_| ApiError::BadForm)? {
            match field.name() {
                Some(CSRF_FIELD) => token = field.text().await.map_err(|_| ApiError::BadForm)?,
                Some("archivo") => file = field.bytes().await.map_err(|_| ApiError::BadForm)?.to_vec(),
                Some("simular") => simular = true,
                _ => {}
            }
        }
        // The platform's check, with the form's token in the header's place.
        let mut checked = parts;
        checked.headers.remove(CSRF_HEADER);
        if let Ok(value) = HeaderValue::from_str(&token) {
            checked.headers.insert(CSRF_HEADER, value);
        }
        csrf::verify_header(&checked).map_err(|_| ApiError::Csrf)?;
        (file, simular)
    } else {
        let CsrfForm(fields) = CsrfForm::<Vec<(String, String)>>::from_request(request, &state).await?;
        (value(&fields, "contenido").unwrap_or("").as_bytes().to_vec(), value(&fields, "simular").is_some())
    };
    let mut page = ImportPage::empty(&staff);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        page.error = "Elegí un archivo CSV.".into();
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    match import(&state, &autor(&staff.usuario), &bytes, simular).await? {
        Err(errores) => {
            page.errores = errores;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Ok(r) => {
            page.actualizados = r.importado.actualizados.len();
            page.creados = r.importado.creados.len();
            page.filas = r.filas;
            page.simulado = simular;
            if simular {
                page.contenido = String::from_utf8_lossy(&bytes).into_owned();
            } else {
                page.l.aviso = format!(
                    "Importado: {} actualizados, {} nuevos. La tienda ya lo muestra.",
                    page.actualizados, page.creados
                );
            }
            Ok(page.into_response())
        }
    }
}
