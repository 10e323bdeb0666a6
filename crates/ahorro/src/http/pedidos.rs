//! Orders: the confirmation page, `/mis_pedidos`, repeat an order. A
//! customer sees only their own orders; anyone else gets 404.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;

use super::error::{ApiError, PageError};
use super::extract::{NoFields, Visitor};
use super::layout::{Layout, login_to};
use super::state::AppState;
use crate::domain::pedido::Pedido;
use crate::tracking;

#[derive(Template, WebTemplate)]
#[template(path = "pedido.html")]
pub struct PedidoPage {
    pub l: Layout,
    pub p: Pedido,
    /// The order's tracking link.
    pub seguimiento: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "mis_pedidos.html")]
pub struct MisPedidos {
    pub l: Layout,
    /// Each order with its tracking link.
    pub pedidos: Vec<(Pedido, String)>,
}

fn owns(visitor: &Visitor, pedido: &Pedido) -> bool {
    match (pedido.usuario_id, &visitor.usuario) {
        (Some(owner), Some(u)) => owner == u.id,
        (Some(_), None) => false,
        (None, _) => pedido.sesion.as_deref() == Some(visitor.token.hash().as_str()),
    }
}

pub(super) async fn own_pedido(state: &AppState, visitor: &Visitor, numero: &str) -> Result<Pedido, ApiError> {
    let pedido = state.store.pedido(numero).await?;
    pedido.filter(|p| owns(visitor, p)).ok_or(ApiError::NotFound("No encontramos ese pedido"))
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(numero): Path<String>,
) -> Result<Response, PageError> {
    let p = own_pedido(&state, &visitor, &numero).await?;
    let seguimiento = tracking::path(state.secret(), p.numero.as_str());
    Ok(PedidoPage { l: Layout::new(&state, &visitor, format!("Pedido {numero}")).await?, p, seguimiento }
        .into_response())
}

pub async fn list(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let Some(u) = &visitor.usuario else { return Ok(login_to("/mis_pedidos")) };
    let pedidos = state.store.pedidos_de(u.id, 50).await?;
    let pedidos = pedidos
        .into_iter()
        .map(|p| {
            let seguimiento = tracking::path(state.secret(), p.numero.as_str());
            (p, seguimiento)
        })
        .collect();
    Ok(MisPedidos { l: Layout::new(&state, &visitor, "Mis pedidos").await?, pedidos }.into_response())
}

/// Puts the order's products back in the cart (at today's prices and
/// within today's stock).
pub async fn repeat(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(numero): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let pedido = own_pedido(&state, &visitor, &numero).await?;
    let owner = visitor.carrito_owner();
    let mut cart = state.store.carrito(&owner).await?;
    let ids: Vec<i64> = pedido.items.iter().map(|i| i.producto_id).collect();
    let productos = state.store.productos_por_id(&ids).await?;
    for item in &pedido.items {
        if let Some(p) = productos.iter().find(|p| p.id == item.producto_id) {
            let _ = cart.add(p, item.cantidad);
        }
    }
    state.store.save_carrito(&owner, &cart).await?;
    Ok(Redirect::to("/carrito").into_response())
}
