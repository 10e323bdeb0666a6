//! Catalogue pages: home (with `?busqueda=` search), a store, a category,
//! a product. Old paths kept so bookmarks work.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::Visitor;
use super::views::{Home, Layout, Listado, ProductoPage};
use crate::catalog::ProductQuery;
use crate::error::{ApiError, PageError};

fn page_param(params: &HashMap<String, String>) -> i64 {
    params.get("pagina").and_then(|p| p.trim().parse::<i64>().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1)
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let busqueda =
        params.get("busqueda").map(|b| b.trim().chars().take(100).collect::<String>()).filter(|b| !b.is_empty());
    if let Some(busqueda) = busqueda {
        let q = ProductQuery { busqueda: Some(busqueda.clone()), page: page_param(&params), ..Default::default() };
        let pagina = state.store.productos(&q).await?;
        let mut l = Layout::new(&state, &visitor, format!("Buscar «{busqueda}»")).await?;
        l.busqueda = busqueda.clone();
        return Ok(Listado {
            titulo: format!("Resultados para «{busqueda}»"),
            descripcion: String::new(),
            sucursales: Vec::new(),
            pagina,
            base_url: format!("/?busqueda={}&", encode(&busqueda)),
            l,
        }
        .into_response());
    }
    let destacados = state.store.productos(&ProductQuery { destacados: true, page: 1, ..Default::default() }).await?;
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
    let negocio = state
        .store
        .negocios()
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(ApiError::NotFound("Ese negocio no existe"))?;
    let q = ProductQuery { negocio: Some(id.clone()), page: page_param(&params), ..Default::default() };
    Ok(Listado {
        l: Layout::new(&state, &visitor, negocio.nombre.clone()).await?,
        titulo: negocio.nombre,
        descripcion: negocio.descripcion,
        sucursales: state.store.sucursales(&id).await?,
        pagina: state.store.productos(&q).await?,
        base_url: format!("/negocio/{}?", encode(&id)),
    }
    .into_response())
}

pub async fn categoria(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let categoria = state
        .store
        .categorias()
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ApiError::NotFound("Esa categoría no existe"))?;
    let q = ProductQuery { categoria: Some(id.clone()), page: page_param(&params), ..Default::default() };
    Ok(Listado {
        l: Layout::new(&state, &visitor, categoria.nombre.clone()).await?,
        titulo: format!("{} {}", categoria.icono, categoria.nombre),
        descripcion: categoria.descripcion,
        sucursales: Vec::new(),
        pagina: state.store.productos(&q).await?,
        base_url: format!("/categoria/{}?", encode(&id)),
    }
    .into_response())
}

pub async fn producto(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let not_found = ApiError::NotFound("Ese producto no existe");
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("Ese producto no existe"))?;
    let p = state.store.producto(id).await?.filter(|p| p.activo).ok_or(not_found)?;
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
    let en_carrito = state.store.cart(&visitor.cart_owner().key()).await?.cantidad_de(p.id);
    Ok(ProductoPage { l: Layout::new(&state, &visitor, p.nombre.clone()).await?, p, negocio, categoria, en_carrito }
        .into_response())
}

pub async fn not_found() -> Response {
    ApiError::NotFound("No encontramos esa página").page()
}
