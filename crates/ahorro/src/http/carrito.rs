//! The cart pages. Each post works as a plain form (redirect back) and,
//! with `Accept: application/json`, for the add-to-cart script.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::{safe_next, wants_json};
use serde_json::json;

use super::error::PageError;
use super::extract::Visitor;
use super::layout::Layout;
use super::state::AppState;
use crate::domain::carrito::{Carrito, PricedCarrito};

#[derive(Template, WebTemplate)]
#[template(path = "carrito.html")]
pub struct CarritoPage {
    pub l: Layout,
    pub carrito: PricedCarrito,
    pub error: String,
    /// Delivery at the default barrio (the checkout lets the customer pick).
    pub cuenta: super::checkout::Cuenta,
    /// "Vaciar carrito" was posted without `confirmar`: the page asks first
    /// (with JavaScript a dialog asks before posting).
    pub confirmar_vaciar: bool,
}

/// `POST /carrito/vaciar`: empties only with `confirmar=si`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct VaciarForm {
    pub confirmar: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CarritoForm {
    pub producto_id: String,
    pub cantidad: String,
    /// Where to go back to after adding (a local path).
    pub volver: String,
}

pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    render(&state, &visitor, String::new(), false).await
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    error: String,
    confirmar_vaciar: bool,
) -> Result<Response, PageError> {
    let cart = state.store.carrito(&visitor.carrito_owner()).await?;
    let ids: Vec<i64> = cart.items.iter().map(|i| i.producto_id).collect();
    let carrito = PricedCarrito::price(&cart, &state.store.productos_por_id(&ids).await?);
    let mut l = Layout::new(state, visitor, "Carrito").await?;
    l.unidades = carrito.unidades();
    let (ajustes, opciones) = super::entrega::ofrecidas(state).await?;
    let zona = ajustes.zona(crate::domain::entrega::BARRIO_POR_DEFECTO).or(ajustes.zonas.first());
    let cuenta = super::checkout::Cuenta::new(zona, &opciones, carrito.total());
    Ok(CarritoPage { l, carrito, error, cuenta, confirmar_vaciar }.into_response())
}

pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<CarritoForm>,
) -> Result<Response, PageError> {
    change(state, visitor, &headers, f, false).await
}

pub async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<CarritoForm>,
) -> Result<Response, PageError> {
    change(state, visitor, &headers, f, true).await
}

async fn change(
    state: AppState,
    visitor: Visitor,
    headers: &HeaderMap,
    f: CarritoForm,
    set: bool,
) -> Result<Response, PageError> {
    let json = wants_json(headers);
    let owner = visitor.carrito_owner();
    let mut cart = state.store.carrito(&owner).await?;
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
            state.store.save_carrito(&owner, &cart).await?;
            let mensaje = if now == 0 {
                format!("Quitaste {}", p.nombre)
            } else {
                format!("{} × {} en tu carrito", now, p.nombre)
            };
            if json {
                return Ok(Json(json!({"ok": true, "unidades": cart.unidades(), "cantidad": now, "mensaje": mensaje}))
                    .into_response());
            }
            let back = safe_next(&f.volver).unwrap_or_else(|| "/carrito".to_owned());
            Ok(Redirect::to(&back).into_response())
        }
        Err(error) => {
            if json {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    Json(json!({"ok": false, "unidades": cart.unidades(), "mensaje": error})),
                )
                    .into_response());
            }
            let mut page = render(&state, &visitor, error, false).await?;
            *page.status_mut() = StatusCode::BAD_REQUEST;
            Ok(page)
        }
    }
}

pub async fn empty(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<VaciarForm>,
) -> Result<Response, PageError> {
    // No one-click loss: without the confirmation the page asks first.
    if f.confirmar != "si" {
        return render(&state, &visitor, String::new(), true).await;
    }
    state.store.save_carrito(&visitor.carrito_owner(), &Carrito::default()).await?;
    Ok(Redirect::to("/carrito").into_response())
}
