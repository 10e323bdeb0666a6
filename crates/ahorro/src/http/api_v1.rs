//! The public, read-only catalogue API (`/api/v1`), as the old shop's
//! `/api/v1` promised (its product endpoints answered 500): products with
//! filters and paging, one product, the stores with their branches, the
//! categories, and a health check. No session, no key.
//!
//! - Money as the rest of the JSON API: pesos as a number (`precio`), plus
//!   the shop's spelling (`precio_texto`, "$ 1.800").
//! - Stock is not published: `disponible` says whether it can be bought
//!   now (active, with stock), not how many units are left.
//! - Every catalogue answer is cacheable by anyone for a minute
//!   (`Cache-Control: public, max-age=60`) with a strong `ETag` (a hash of
//!   the body): `If-None-Match` answers 304 without a body. Being public, it
//!   carries no cookie (the session layer leaves such answers alone).
//!   `/api/v1/health` is never cached.
//! - CORS: any origin may read it (`Access-Control-Allow-Origin: *`): it is
//!   public data, read-only, and no cookie or key is involved, so another
//!   site's page gains nothing by reading it through a visitor's browser.
//! - Bad parameters answer 400 with the JSON error naming the parameter
//!   (`campo`), as everywhere else; an unknown product 404.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use belgrano_contract::{Centavos, FieldError};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::catalogo::{Categoria, Negocio, Orden, PAGE_SIZE, Producto, ProductoQuery, Sucursal};
use crate::domain::vitrina::Vitrina;

/// Largest `por_pagina`.
pub const MAX_POR_PAGINA: i64 = 100;
/// Largest `pagina`.
pub const MAX_PAGINA: i64 = 10_000;
/// Longest `busqueda`.
pub const MAX_BUSQUEDA: usize = 100;
/// How long anyone may keep an answer without asking again.
const CACHE: &str = "public, max-age=60";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/productos", get(productos))
        .route("/api/v1/productos/{id}", get(producto))
        .route("/api/v1/negocios", get(negocios))
        .route("/api/v1/categorias", get(categorias))
        .layer(axum::middleware::map_response(cors))
}

/// Every answer here, errors included, may be read from any origin.
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("ETag"));
    response
}

fn pesos(c: Centavos) -> f64 {
    c.pesos()
}

/// A product as the public API shows it.
#[derive(Debug, Serialize)]
struct ProductoV1 {
    id: i64,
    nombre: String,
    descripcion: String,
    /// Pesos.
    precio: f64,
    precio_texto: String,
    /// The price before the offer, only when higher than `precio`.
    precio_anterior: Option<f64>,
    /// Whole percent off `precio_anterior`.
    descuento: Option<i64>,
    unidad: &'static str,
    /// The reference price per kg or litre, for products sold by the unit.
    precio_por_medida: Option<f64>,
    medida: Option<&'static str>,
    negocio: String,
    negocio_nombre: String,
    categoria: String,
    categoria_nombre: String,
    destacado: bool,
    disponible: bool,
    /// The photo, or the product's illustration (a path on this site).
    imagen_url: String,
    /// Its page in the shop.
    url: String,
}

/// Names of stores and categories by id, for the products' `*_nombre`.
struct Nombres {
    negocios: HashMap<String, String>,
    categorias: HashMap<String, String>,
}

impl Nombres {
    /// Those of the shop window: every active product's store and category.
    fn of(vitrina: &Vitrina) -> Self {
        let negocios = vitrina.negocios().iter().map(|n| (n.id.clone(), n.nombre.clone())).collect();
        let categorias = vitrina.categorias().iter().map(|c| (c.id.clone(), c.nombre.clone())).collect();
        Self { negocios, categorias }
    }

    fn producto(&self, p: &Producto) -> ProductoV1 {
        let original = p.precio_original.filter(|o| *o > p.precio);
        ProductoV1 {
            id: p.id,
            nombre: p.nombre.clone(),
            descripcion: p.descripcion.clone(),
            precio: pesos(p.precio),
            precio_texto: p.precio_ars(),
            precio_anterior: original.map(pesos),
            descuento: p.descuento(),
            unidad: p.unidad.as_str(),
            precio_por_medida: p.precio_por_medida.map(|(c, _)| pesos(c)),
            medida: p.precio_por_medida.map(|(_, m)| m.as_str()),
            negocio: p.negocio_id.clone(),
            negocio_nombre: self.negocios.get(&p.negocio_id).cloned().unwrap_or_default(),
            categoria: p.categoria_id.clone(),
            categoria_nombre: self.categorias.get(&p.categoria_id).cloned().unwrap_or_default(),
            destacado: p.destacado,
            disponible: p.disponible(),
            imagen_url: p.imagen_pagina_url(),
            url: format!("/producto/{}", p.id),
        }
    }
}

/// `body` as a cacheable JSON answer with its ETag, or 304 when the
/// client's copy (`If-None-Match`) is this one.
fn cached(headers: &HeaderMap, body: &impl Serialize) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Unavailable(e.into()))?;
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Unavailable(e.into()))?;
    let fresh =
        headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|v| matches_etag(v, &etag));
    let cache = HeaderValue::from_static(CACHE);
    if fresh {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)]).into_response()
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

/// `If-None-Match`'s list against `etag`, with the weak comparison
/// RFC 9110 asks for there (a `W/` copy of the same tag matches).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn invalid(campo: &str, detalle: impl Into<String>) -> ApiError {
    ApiError::Validation(FieldError::new(campo, detalle))
}

/// An optional text parameter: trimmed, empty as absent, at most `max`
/// characters and no control characters.
fn texto(params: &HashMap<String, String>, campo: &str, max: usize) -> Result<Option<String>, ApiError> {
    let Some(raw) = params.get(campo).map(|v| v.trim()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if raw.chars().count() > max || raw.chars().any(char::is_control) {
        return Err(invalid(campo, format!("hasta {max} caracteres, sin caracteres de control")));
    }
    Ok(Some(raw.to_owned()))
}

/// An optional whole number from `min` to `max`.
fn entero(params: &HashMap<String, String>, campo: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(raw) = params.get(campo).map(|v| v.trim()) else { return Ok(None) };
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(invalid(campo, format!("debe ser un número entero de {min} a {max}"))),
    }
}

/// `GET /api/v1/productos?negocio=&categoria=&busqueda=&pagina=&por_pagina=`:
/// active products by id.
async fn productos(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let pagina = entero(&params, "pagina", 1, MAX_PAGINA)?.unwrap_or(1);
    let por_pagina = entero(&params, "por_pagina", 1, MAX_POR_PAGINA)?.unwrap_or(PAGE_SIZE);
    let negocio = texto(&params, "negocio", 100)?;
    let categoria = texto(&params, "categoria", 100)?;
    let busqueda = texto(&params, "busqueda", MAX_BUSQUEDA)?;
    let refs = state.store.referencias().await?;
    if let Some(n) = negocio.as_deref().filter(|n| !refs.negocios.iter().any(|id| id == n)) {
        return Err(invalid("negocio", format!("no hay un negocio con id '{n}' (ver /api/v1/negocios)")));
    }
    if let Some(c) = categoria.as_deref().filter(|c| !refs.categorias.iter().any(|id| id == c)) {
        return Err(invalid("categoria", format!("no hay una categoría con id '{c}' (ver /api/v1/categorias)")));
    }
    let q = ProductoQuery { negocio, categoria, busqueda, destacados: false, page: pagina, orden: Orden::default() };
    let vitrina = state.store.vitrina().await?;
    let page = vitrina.pagina_de_a(&q, por_pagina);
    let nombres = Nombres::of(&vitrina);
    let productos: Vec<ProductoV1> = page.productos.iter().map(|p| nombres.producto(p)).collect();
    let paginas = ((page.total + por_pagina - 1) / por_pagina).max(1);
    let body = json!({
        "productos": productos,
        "total": page.total,
        "pagina": pagina,
        "por_pagina": por_pagina,
        "paginas": paginas,
    });
    cached(&headers, &body)
}

/// `GET /api/v1/productos/{id}`: one active product.
async fn producto(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id.trim().parse().map_err(|_| invalid("id", "debe ser un número entero"))?;
    let vitrina = state.store.vitrina().await?;
    let Some(p) = vitrina.producto(id).filter(|p| p.activo) else {
        return Err(ApiError::NotFound("no hay un producto a la venta con ese id"));
    };
    let body = json!({"producto": Nombres::of(&vitrina).producto(p)});
    cached(&headers, &body)
}

#[derive(Debug, Serialize)]
struct SucursalV1 {
    id: String,
    nombre: String,
    direccion: String,
    telefono: String,
    horarios: String,
}

#[derive(Debug, Serialize)]
struct NegocioV1 {
    id: String,
    nombre: String,
    descripcion: String,
    color: String,
    url: String,
    sucursales: Vec<SucursalV1>,
}

fn negocio_v1(n: Negocio, sucursales: &[Sucursal]) -> NegocioV1 {
    let sucursales = sucursales
        .iter()
        .filter(|s| s.negocio_id == n.id)
        .map(|s| SucursalV1 {
            id: s.id.clone(),
            nombre: s.nombre.clone(),
            direccion: s.direccion.clone(),
            telefono: s.telefono.clone(),
            horarios: s.horarios.clone(),
        })
        .collect();
    NegocioV1 {
        url: format!("/negocio/{}", n.id),
        id: n.id,
        nombre: n.nombre,
        descripcion: n.descripcion,
        color: n.color,
        sucursales,
    }
}

/// `GET /api/v1/negocios`: the stores, each with its branches.
async fn negocios(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let sucursales = state.store.todas_las_sucursales().await?;
    let negocios: Vec<NegocioV1> =
        state.store.negocios().await?.into_iter().map(|n| negocio_v1(n, &sucursales)).collect();
    cached(&headers, &json!({"negocios": negocios}))
}

#[derive(Debug, Serialize)]
struct CategoriaV1 {
    id: String,
    nombre: String,
    descripcion: String,
    icono: String,
    url: String,
}

/// `GET /api/v1/categorias`: the categories with products on sale.
async fn categorias(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let categorias: Vec<CategoriaV1> = state
        .store
        .vitrina()
        .await?
        .categorias()
        .iter()
        .cloned()
        .map(|c: Categoria| CategoriaV1 {
            url: format!("/categoria/{}", c.id),
            id: c.id,
            nombre: c.nombre,
            descripcion: c.descripcion,
            icono: c.icono,
        })
        .collect();
    cached(&headers, &json!({"categorias": categorias}))
}

/// `GET /api/v1/health`: whether the catalogue can be read now; never cached.
async fn health(State(state): State<AppState>) -> Response {
    let ok = state.store.db().ping().await.is_ok();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body =
        json!({"status": if ok { "ok" } else { "error" }, "service": "belgrano-ahorro", "api": "v1", "database": ok});
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists() {
        let tag = "\"abc\"";
        assert!(matches_etag("\"abc\"", tag));
        assert!(matches_etag("W/\"abc\"", tag));
        assert!(matches_etag("\"x\", \"abc\"", tag));
        assert!(matches_etag("*", tag));
        assert!(!matches_etag("\"abcd\"", tag));
        assert!(!matches_etag("abc", tag));
    }
}
