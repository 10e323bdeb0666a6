//! Catalogue pages: home (with `?busqueda=` search), a store, a category,
//! a product, and the 404 page (with the shop around it). Old paths kept so bookmarks work.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use belgrano_platform::http::{url_encode, wants_json};

use super::error::{ApiError, PageError};
use super::extract::Visitor;
use super::layout::Layout;
use super::state::AppState;
use crate::domain::catalogo::{Categoria, Negocio, Oferta, Producto, ProductoPage, ProductoQuery, Sucursal};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Home {
    pub l: Layout,
    pub destacados: Vec<Producto>,
    pub negocios: Vec<Negocio>,
    pub categorias: Vec<Categoria>,
    pub ofertas: Vec<Oferta>,
}

#[derive(Template, WebTemplate)]
#[template(path = "listado.html")]
pub struct Listado {
    pub l: Layout,
    pub titulo: String,
    pub descripcion: String,
    pub sucursales: Vec<Sucursal>,
    pub pagina: ProductoPage,
    /// Path and query up to where `pagina=N` is appended.
    pub base_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "producto.html")]
pub struct ProductoDetalle {
    pub l: Layout,
    pub p: Producto,
    pub negocio: String,
    pub categoria: String,
    pub en_carrito: i64,
}

fn page_param(params: &HashMap<String, String>) -> i64 {
    params.get("pagina").and_then(|p| p.trim().parse::<i64>().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1)
}

pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let busqueda =
        params.get("busqueda").map(|b| b.trim().chars().take(100).collect::<String>()).filter(|b| !b.is_empty());
    if let Some(busqueda) = busqueda {
        let q = ProductoQuery { busqueda: Some(busqueda.clone()), page: page_param(&params), ..Default::default() };
        let pagina = state.store.productos(&q).await?;
        let mut l = Layout::new(&state, &visitor, format!("Buscar «{busqueda}»")).await?;
        l.busqueda = busqueda.clone();
        return Ok(Listado {
            titulo: format!("Resultados para «{busqueda}»"),
            descripcion: String::new(),
            sucursales: Vec::new(),
            pagina,
            base_url: format!("/?busqueda={}&", url_encode(&busqueda)),
            l,
        }
        .into_response());
    }
    let destacados = state.store.productos(&ProductoQuery { destacados: true, page: 1, ..Default::default() }).await?;
    Ok(Home {
        l: Layout::new(&state, &visitor, "Inicio").await?,
        destacados: destacados.productos.into_iter().take(12).collect(),
        negocios: state.store.negocios().await?,
        categorias: state.store.categorias().await?,
        ofertas: state.store.ofertas().await?,
    }
    .into_response())
}

pub async fn negocio(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let negocio = state.store.negocios().await?.into_iter().find(|n| n.id == id);
    let Some(negocio) = negocio else { return no_encontrado(&state, &visitor, "Ese negocio no existe.").await };
    let q = ProductoQuery { negocio: Some(id.clone()), page: page_param(&params), ..Default::default() };
    let sucursales = state.store.sucursales(&id).await?;
    let title = negocio.nombre.clone();
    let page = ListadoOf { title, titulo: negocio.nombre, descripcion: negocio.descripcion, sucursales, query: q };
    listado(&state, &visitor, page, format!("/negocio/{}?", url_encode(&id))).await
}

pub async fn categoria(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let categoria = state.store.categorias().await?.into_iter().find(|c| c.id == id);
    let Some(categoria) = categoria else { return no_encontrado(&state, &visitor, "Esa categoría no existe.").await };
    let q = ProductoQuery { categoria: Some(id.clone()), page: page_param(&params), ..Default::default() };
    let titulo = format!("{} {}", categoria.icono, categoria.nombre);
    let (title, descripcion) = (categoria.nombre, categoria.descripcion);
    let page = ListadoOf { title, titulo, descripcion, sucursales: Vec::new(), query: q };
    listado(&state, &visitor, page, format!("/categoria/{}?", url_encode(&id))).await
}

/// What a store's or a category's product list shows above the products.
struct ListadoOf {
    /// The window's title.
    title: String,
    /// The page's heading.
    titulo: String,
    descripcion: String,
    sucursales: Vec<Sucursal>,
    query: ProductoQuery,
}

async fn listado(state: &AppState, visitor: &Visitor, of: ListadoOf, base_url: String) -> Result<Response, PageError> {
    Ok(Listado {
        l: Layout::new(state, visitor, of.title).await?,
        titulo: of.titulo,
        descripcion: of.descripcion,
        sucursales: of.sucursales,
        pagina: state.store.productos(&of.query).await?,
        base_url,
    }
    .into_response())
}

pub async fn producto(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let producto = match id.parse::<i64>() {
        Ok(id) => state.store.producto(id).await?.filter(|p| p.activo),
        Err(_) => None,
    };
    let Some(p) = producto else {
        return no_encontrado(&state, &visitor, "Ese producto no existe o ya no está a la venta.").await;
    };
    let negocio =
        state.store.negocios().await?.into_iter().find(|n| n.id == p.negocio_id).map(|n| n.nombre).unwrap_or_default();
    let categoria = state
        .store
        .categorias()
        .await?
        .into_iter()
        .find(|c| c.id == p.categoria_id)
        .map(|c| c.nombre)
        .unwrap_or_default();
    let en_carrito = state.store.carrito(&visitor.carrito_owner()).await?.cantidad_de(p.id);
    Ok(ProductoDetalle { l: Layout::new(&state, &visitor, p.nombre.clone()).await?, p, negocio, categoria, en_carrito }
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "oferta.html")]
pub struct OfertaPage {
    pub l: Layout,
    pub o: Oferta,
    pub productos: Vec<Producto>,
}

/// `/ofertas/{id}`: an offer's products (the active ones), from its card
/// on the home page.
pub async fn oferta(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(o) = state.store.oferta(&id).await? else {
        return no_encontrado(&state, &visitor, "Esa oferta no existe o ya terminó.").await;
    };
    let mut productos: Vec<Producto> =
        state.store.productos_por_id(&o.productos).await?.into_iter().filter(|p| p.activo).collect();
    productos.sort_by_key(|p| o.productos.iter().position(|id| *id == p.id));
    Ok(OfertaPage { l: Layout::new(&state, &visitor, o.titulo.clone()).await?, o, productos }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "no_encontrado.html")]
pub struct NoEncontrado {
    pub l: Layout,
    pub mensaje: &'static str,
    pub negocios: Vec<Negocio>,
}

/// A 404 page with the shop around it (header, search, cart), so a wrong
/// link still leads somewhere.
async fn no_encontrado(state: &AppState, visitor: &Visitor, mensaje: &'static str) -> Result<Response, PageError> {
    let negocios = state.store.negocios().await?;
    let page = NoEncontrado { l: Layout::new(state, visitor, "No encontramos esa página").await?, mensaje, negocios };
    Ok((StatusCode::NOT_FOUND, page).into_response())
}

/// Any other address: the JSON error for API calls, the shop's 404 page
/// for people.
pub async fn not_found(State(state): State<AppState>, visitor: Visitor, uri: Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/") || wants_json(&headers) {
        return ApiError::NotFound("ruta no encontrada").into_response();
    }
    no_encontrado(&state, &visitor, "La dirección que abriste no existe o cambió.").await.into_response()
}
