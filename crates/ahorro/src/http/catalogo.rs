//! Catalogue pages: home (with `?busqueda=` search), a store, a category,
//! a product, and the 404 page (with the shop around it). Old paths kept so bookmarks work.
//! Listings take `orden` (precio, precio_desc, descuento, nombre) and, on
//! searches and categories, `negocio` (one store's products); values they
//! do not know list as if absent.

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
use crate::domain::catalogo::{Categoria, Negocio, Oferta, Orden, Producto, ProductoPage, ProductoQuery, Sucursal};
use crate::domain::vitrina::Vitrina;

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
    pub filtros: Filtros,
    /// The stores, for the store filter's names (empty: no filter).
    pub negocios: Vec<Negocio>,
    /// Where to go on when a search finds nothing.
    pub categorias: Vec<Categoria>,
}

impl Listado {
    /// The page `delta` pages away (-1: the previous one).
    pub fn pagina_url(&self, delta: i64) -> String {
        self.filtros.url(self.filtros.negocio.as_deref(), self.filtros.orden, self.pagina.page + delta)
    }

    /// The search the suggestion proposes.
    pub fn sugerencia_url(&self) -> String {
        format!("/?busqueda={}", url_encode(self.pagina.sugerencia.as_deref().unwrap_or_default()))
    }
}

/// A listing's address and the choices in it (search, store, order), so
/// each link changes one and keeps the others.
pub struct Filtros {
    /// `/`, `/categoria/{id}` or `/negocio/{id}`.
    pub ruta: String,
    pub busqueda: Option<String>,
    pub negocio: Option<String>,
    pub orden: Orden,
}

impl Filtros {
    fn url(&self, negocio: Option<&str>, orden: Orden, pagina: i64) -> String {
        let mut params = Vec::new();
        if let Some(b) = &self.busqueda {
            params.push(format!("busqueda={}", url_encode(b)));
        }
        if let Some(n) = negocio {
            params.push(format!("negocio={}", url_encode(n)));
        }
        if orden != Orden::Relevancia {
            params.push(format!("orden={}", orden.as_str()));
        }
        if pagina > 1 {
            params.push(format!("pagina={pagina}"));
        }
        if params.is_empty() { self.ruta.clone() } else { format!("{}?{}", self.ruta, params.join("&")) }
    }

    /// This listing with only `negocio`'s products.
    pub fn solo(&self, negocio: &str) -> String {
        self.url(Some(negocio), self.orden, 1)
    }

    /// This listing with every store's products.
    pub fn todos(&self) -> String {
        self.url(None, self.orden, 1)
    }

    pub fn es_negocio(&self, id: &str) -> bool {
        self.negocio.as_deref() == Some(id)
    }

    pub fn ordenes(&self) -> [Orden; 5] {
        Orden::ALL
    }

    pub fn es_orden(&self, o: &Orden) -> bool {
        self.orden == *o
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "producto.html")]
pub struct ProductoDetalle {
    pub l: Layout,
    pub p: Producto,
    pub negocio: String,
    pub categoria: Option<Categoria>,
    pub en_carrito: i64,
    pub relacionados: Vec<Producto>,
    pub ofertas: Vec<Oferta>,
}

/// Related products on a product page.
const RELACIONADOS: usize = 4;

fn page_param(params: &HashMap<String, String>) -> i64 {
    params.get("pagina").and_then(|p| p.trim().parse::<i64>().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1)
}

fn orden_param(params: &HashMap<String, String>) -> Orden {
    params.get("orden").map(|o| Orden::parse(o)).unwrap_or_default()
}

/// `?negocio=` when it names a store (anything else lists every store's).
fn negocio_param(params: &HashMap<String, String>, negocios: &[Negocio]) -> Option<String> {
    let id = params.get("negocio")?.trim();
    negocios.iter().any(|n| n.id == id).then(|| id.to_owned())
}

pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let busqueda =
        params.get("busqueda").map(|b| b.trim().chars().take(100).collect::<String>()).filter(|b| !b.is_empty());
    let vitrina = state.store.vitrina().await?;
    if let Some(busqueda) = busqueda {
        let negocios = vitrina.negocios().to_vec();
        let filtros = Filtros {
            ruta: "/".into(),
            busqueda: Some(busqueda.clone()),
            negocio: negocio_param(&params, &negocios),
            orden: orden_param(&params),
        };
        let q = ProductoQuery {
            busqueda: Some(busqueda.clone()),
            negocio: filtros.negocio.clone(),
            orden: filtros.orden,
            page: page_param(&params),
            ..Default::default()
        };
        let pagina = vitrina.pagina(&q);
        let categorias = if pagina.total == 0 { vitrina.categorias().to_vec() } else { Vec::new() };
        let mut l = Layout::new(&state, &visitor, format!("Buscar «{busqueda}»")).await?;
        l.busqueda = busqueda.clone();
        return Ok(Listado {
            titulo: format!("Resultados para «{busqueda}»"),
            descripcion: String::new(),
            sucursales: Vec::new(),
            pagina,
            filtros,
            negocios,
            categorias,
            l,
        }
        .into_response());
    }
    let destacados = vitrina.pagina(&ProductoQuery { destacados: true, page: 1, ..Default::default() });
    Ok(Home {
        l: Layout::new(&state, &visitor, "Inicio").await?,
        destacados: destacados.productos.into_iter().take(12).collect(),
        negocios: vitrina.negocios().to_vec(),
        categorias: vitrina.categorias().to_vec(),
        ofertas: vitrina.ofertas().to_vec(),
    }
    .into_response())
}

pub async fn negocio(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let vitrina = state.store.vitrina().await?;
    let negocio = vitrina.negocio(&id).cloned();
    let Some(negocio) = negocio else { return no_encontrado(&state, &visitor, "Ese negocio no existe.").await };
    let filtros = Filtros {
        ruta: format!("/negocio/{}", url_encode(&id)),
        busqueda: None,
        negocio: None,
        orden: orden_param(&params),
    };
    let q = ProductoQuery {
        negocio: Some(id.clone()),
        orden: filtros.orden,
        page: page_param(&params),
        ..Default::default()
    };
    let sucursales = state.store.sucursales(&id).await?;
    let title = negocio.nombre.clone();
    let page = ListadoOf {
        title,
        titulo: negocio.nombre,
        descripcion: negocio.descripcion,
        sucursales,
        query: q,
        negocios: Vec::new(),
    };
    listado(&state, &visitor, &vitrina, page, filtros).await
}

pub async fn categoria(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let vitrina = state.store.vitrina().await?;
    let categoria = vitrina.categoria(&id).cloned();
    let Some(categoria) = categoria else { return no_encontrado(&state, &visitor, "Esa categoría no existe.").await };
    let negocios = vitrina.negocios().to_vec();
    let filtros = Filtros {
        ruta: format!("/categoria/{}", url_encode(&id)),
        busqueda: None,
        negocio: negocio_param(&params, &negocios),
        orden: orden_param(&params),
    };
    let q = ProductoQuery {
        categoria: Some(id.clone()),
        negocio: filtros.negocio.clone(),
        orden: filtros.orden,
        page: page_param(&params),
        ..Default::default()
    };
    let titulo = format!("{} {}", categoria.icono, categoria.nombre);
    let (title, descripcion) = (categoria.nombre, categoria.descripcion);
    let page = ListadoOf { title, titulo, descripcion, sucursales: Vec::new(), query: q, negocios };
    listado(&state, &visitor, &vitrina, page, filtros).await
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
    /// For the store filter (empty on a store's own page).
    negocios: Vec<Negocio>,
}

async fn listado(
    state: &AppState,
    visitor: &Visitor,
    vitrina: &Vitrina,
    of: ListadoOf,
    filtros: Filtros,
) -> Result<Response, PageError> {
    Ok(Listado {
        l: Layout::new(state, visitor, of.title).await?,
        titulo: of.titulo,
        descripcion: of.descripcion,
        sucursales: of.sucursales,
        pagina: vitrina.pagina(&of.query),
        filtros,
        negocios: of.negocios,
        categorias: Vec::new(),
    }
    .into_response())
}

pub async fn producto(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let vitrina = state.store.vitrina().await?;
    let producto = match id.parse::<i64>() {
        Ok(id) => vitrina.producto(id).filter(|p| p.activo).cloned(),
        Err(_) => None,
    };
    let Some(p) = producto else {
        return no_encontrado(&state, &visitor, "Ese producto no existe o ya no está a la venta.").await;
    };
    let negocio = vitrina.negocio(&p.negocio_id).map(|n| n.nombre.clone()).unwrap_or_default();
    let categoria = vitrina.categoria(&p.categoria_id).cloned();
    let l = Layout::new(&state, &visitor, p.nombre.clone()).await?;
    let en_carrito = l.en_carrito(p.id);
    let relacionados = vitrina.relacionados(&p, RELACIONADOS);
    let ofertas = vitrina.ofertas().iter().filter(|o| o.productos.contains(&p.id)).cloned().collect();
    Ok(ProductoDetalle { l, p, negocio, categoria, en_carrito, relacionados, ofertas }.into_response())
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
    let vitrina = state.store.vitrina().await?;
    let Some(o) = vitrina.oferta(&id).cloned() else {
        return no_encontrado(&state, &visitor, "Esa oferta no existe o ya terminó.").await;
    };
    let productos = vitrina.activos(&o.productos);
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
    let negocios = state.store.vitrina().await?.negocios().to_vec();
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
