//! The cart pages. Each post works as a plain form (redirect back) and,
//! with `Accept: application/json`, for the add-to-cart script.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::AppState;
use super::extract::{CsrfForm, Visitor, form, wants_json};
use super::views::{Carrito, Layout};
use crate::cart::PricedCart;
use crate::error::PageError;

form!(CartForm { producto_id, cantidad, volver });

pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    render(&state, &visitor, String::new()).await
}

async fn render(state: &AppState, visitor: &Visitor, error: String) -> Result<Response, PageError> {
    let cart = state.store.cart(&visitor.cart_owner().key()).await?;
    let productos = state.store.productos_por_id(&cart.items.iter().map(|i| i.producto_id).collect::<Vec<_>>()).await?;
    let carrito = PricedCart::price(&cart, &productos);
    let mut l = Layout::new(state, visitor, "Carrito").await?;
    l.unidades = carrito.unidades();
    Ok(Carrito { l, carrito, error }.into_response())
}

/// A safe place to go back to: a local path only.
fn back_to(volver: &str) -> &str {
    if volver.starts_with('/') && !volver.starts_with("//") && !volver.contains('\\') { volver } else { "/carrito" }
}

pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<CartForm>,
) -> Result<Response, PageError> {
    change(state, visitor, headers, f, false).await
}

pub async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<CartForm>,
) -> Result<Response, PageError> {
    change(state, visitor, headers, f, true).await
}

async fn change(
    state: AppState,
    visitor: Visitor,
    headers: HeaderMap,
    f: CartForm,
    set: bool,
) -> Result<Response, PageError> {
    let json = wants_json(&headers);
    let owner = visitor.cart_owner().key();
    let mut cart = state.store.cart(&owner).await?;
    let producto = match f.producto_id.trim().parse::<i64>() {
        Ok(id) => state.store.producto(id).await?,
        Err(_) => None,
    };
    let cantidad = if f.cantidad.trim().is_empty() { Ok(1) } else { f.cantidad.trim().parse::<i64>() };
    let outcome = match (producto, cantidad) {
        (None, _) => Err("El producto no existe".to_owned()),
        (Some(_), Err(_)) => Err("La cantidad debe ser un número entero".to_owned()),
        (Some(p), Ok(q)) => {
            let result = if set { cart.set(&p, q) } else { cart.add(&p, q) };
            result.map(|now| (p, now)).map_err(|e| format!("No se pudo actualizar el carrito: {e}"))
        }
    };
    match outcome {
        Ok((p, now)) => {
            state.store.save_cart(&owner, &cart).await?;
            let mensaje = if now == 0 {
                format!("Quitaste {}", p.nombre)
            } else {
                format!("{} × {} en tu carrito", now, p.nombre)
            };
            if json {
                return Ok(Json(json!({"ok": true, "unidades": cart.unidades(), "cantidad": now, "mensaje": mensaje}))
                    .into_response());
            }
            Ok(Redirect::to(if set { "/carrito" } else { back_to(&f.volver) }).into_response())
        }
        Err(error) => {
            if json {
                return Ok((
                    axum::http::StatusCode::BAD_REQUEST,
                    Json(json!({"ok": false, "unidades": cart.unidades(), "mensaje": error})),
                )
                    .into_response());
            }
            let mut page = render(&state, &visitor, error).await?;
            *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(page)
        }
    }
}

pub async fn empty(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<CartForm>,
) -> Result<Response, PageError> {
    state.store.save_cart(&visitor.cart_owner().key(), &Default::default()).await?;
    Ok(Redirect::to("/carrito").into_response())
}
