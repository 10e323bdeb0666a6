//! Orders: the confirmation page, `/mis_pedidos`, repeat an order. A
//! customer sees only their own orders; anyone else gets 404.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::{CsrfForm, Visitor, form};
use super::views::{Layout, MisPedidos, PedidoPage};
use crate::cart::Cart;
use crate::error::{ApiError, PageError};
use crate::store::Pedido;

form!(RepeatForm {});

fn owns(visitor: &Visitor, pedido: &Pedido) -> bool {
    match (pedido.usuario_id, &visitor.usuario) {
        (Some(owner), Some(u)) => owner == u.id,
        (Some(_), None) => false,
        (None, _) => pedido.sesion.as_deref() == Some(visitor.token.hash().as_str()),
    }
}

async fn own_pedido(state: &AppState, visitor: &Visitor, numero: &str) -> Result<Pedido, ApiError> {
    let pedido = state.store.pedido(numero).await?;
    pedido.filter(|p| owns(visitor, p)).ok_or(ApiError::NotFound("No encontramos ese pedido"))
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(numero): Path<String>,
) -> Result<Response, PageError> {
    let mut p = own_pedido(&state, &visitor, &numero).await?;
    p.seguimiento = crate::tracking::path(state.secret(), &p.numero);
    Ok(PedidoPage { l: Layout::new(&state, &visitor, format!("Pedido {numero}")).await?, p }.into_response())
}

pub async fn list(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let Some(u) = &visitor.usuario else { return Ok(Redirect::to("/login?next=/mis_pedidos").into_response()) };
    let mut pedidos = state.store.pedidos_de(u.id, 50).await?;
    for p in &mut pedidos {
        p.seguimiento = crate::tracking::path(state.secret(), &p.numero);
    }
    Ok(MisPedidos { l: Layout::new(&state, &visitor, "Mis pedidos").await?, pedidos }.into_response())
}

/// Puts the order's products back in the cart (at today's prices and
/// within today's stock).
pub async fn repeat(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(numero): Path<String>,
    CsrfForm(_): CsrfForm<RepeatForm>,
) -> Result<Response, PageError> {
    let pedido = own_pedido(&state, &visitor, &numero).await?;
    let owner = visitor.cart_owner().key();
    let mut cart: Cart = state.store.cart(&owner).await?;
    let ids: Vec<i64> = pedido.items.iter().map(|i| i.producto_id).collect();
    let productos = state.store.productos_por_id(&ids).await?;
    for item in &pedido.items {
        if let Some(p) = productos.iter().find(|p| p.id == item.producto_id) {
            let _ = cart.add(p, item.cantidad);
        }
    }
    state.store.save_cart(&owner, &cart).await?;
    Ok(Redirect::to("/carrito").into_response())
}
