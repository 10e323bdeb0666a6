//! Checkout: the form (prefilled from the profile, guests welcome) and
//! `POST /api/checkout`, answering the seed's step-7 shape.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_shared::FieldError;
use serde_json::{Value, json};

use super::AppState;
use super::account::message;
use super::extract::{CsrfForm, JsonBody, Visitor, form};
use super::views::{CheckoutPage, Layout, METODOS};
use crate::cart::{Cart, PricedCart};
use crate::checkout::{Checkout, CheckoutError, CheckoutResponse, ClienteInput};
use crate::error::{ApiError, PageError};

form!(CheckoutForm { nombre, apellido, email, telefono, direccion, metodo_pago, notas });

async fn priced_cart(state: &AppState, cart: &Cart) -> Result<PricedCart, ApiError> {
    let ids: Vec<i64> = cart.items.iter().map(|i| i.producto_id).collect();
    Ok(PricedCart::price(cart, &state.store.productos_por_id(&ids).await?))
}

async fn render(state: &AppState, visitor: &Visitor, f: CheckoutForm, error: String) -> Result<Response, PageError> {
    let cart = state.store.cart(&visitor.cart_owner().key()).await?;
    let carrito = priced_cart(state, &cart).await?;
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = CheckoutPage {
        l: Layout::new(state, visitor, "Finalizar compra").await?,
        f,
        carrito,
        metodos: METODOS.to_vec(),
        error,
    };
    Ok((status, page).into_response())
}

pub async fn form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let f = match &visitor.usuario {
        Some(u) => CheckoutForm {
            nombre: u.nombre.clone(),
            apellido: u.apellido.clone(),
            email: u.email.clone(),
            telefono: u.telefono.clone(),
            direccion: u.direccion.clone(),
            metodo_pago: "efectivo".into(),
            ..Default::default()
        },
        None => CheckoutForm { metodo_pago: "efectivo".into(), ..Default::default() },
    };
    render(&state, &visitor, f, String::new()).await
}

/// The cart's lines as checkout items (quantities as the customer chose;
/// the transaction checks them against stock).
fn cart_items(cart: &Cart) -> Vec<(Value, Value)> {
    cart.items.iter().map(|i| (json!(i.producto_id), json!(i.cantidad))).collect()
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<CheckoutForm>,
) -> Result<Response, PageError> {
    let owner = visitor.cart_owner().key();
    let cart = state.store.cart(&owner).await?;
    let cliente = ClienteInput {
        nombre: f.nombre.clone(),
        apellido: f.apellido.clone(),
        email: f.email.clone(),
        telefono: f.telefono.clone(),
    };
    let parsed =
        Checkout::parse(cliente, &f.direccion, &f.metodo_pago, &f.notas, &cart_items(&cart), visitor.usuario.as_ref());
    let mut checkout = match parsed {
        Ok(c) => c,
        Err(e) => return render(&state, &visitor, f, message(&e)).await,
    };
    if visitor.usuario.is_none() {
        checkout.sesion = Some(visitor.token.hash());
    }
    match state.checkout.place(&checkout).await {
        Ok(pedido) => {
            state.store.save_cart(&owner, &Cart::default()).await?;
            Ok(Redirect::to(&format!("/pedido/{}", pedido.numero)).into_response())
        }
        Err(CheckoutError::Invalid(e)) => render(&state, &visitor, f, message(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/checkout`: `cliente` and `items` may come from the session
/// and its cart. Money in the body is ignored.
pub async fn api(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "se espera un objeto JSON"))?;
    let text = |v: Option<&Value>, field: &str| -> Result<String, FieldError> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(FieldError::new(field, "debe ser un texto")),
        }
    };
    let cliente = match obj.get("cliente") {
        None | Some(Value::Null) => match &visitor.usuario {
            Some(u) => ClienteInput::from_usuario(u),
            None => return Err(FieldError::new("cliente", "es obligatorio (o inicie sesión)").into()),
        },
        Some(Value::Object(c)) => ClienteInput {
            nombre: text(c.get("nombre"), "cliente.nombre")?,
            apellido: text(c.get("apellido"), "cliente.apellido")?,
            email: text(c.get("email"), "cliente.email")?,
            telefono: text(c.get("telefono"), "cliente.telefono")?,
        },
        Some(_) => return Err(FieldError::new("cliente", "debe ser un objeto").into()),
    };
    let from_cart;
    let items: Vec<(Value, Value)> = match obj.get("items") {
        None | Some(Value::Null) => {
            from_cart = true;
            cart_items(&state.store.cart(&visitor.cart_owner().key()).await?)
        }
        Some(Value::Array(list)) => {
            from_cart = false;
            list.iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(o) => Ok((
                        o.get("producto_id").cloned().unwrap_or(Value::Null),
                        o.get("cantidad").cloned().unwrap_or(Value::Null),
                    )),
                    _ => Err(FieldError::new(format!("items[{i}]"), "debe ser un objeto {producto_id, cantidad}")),
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(FieldError::new("items", "debe ser una lista").into()),
    };
    let direccion = match obj.get("direccion") {
        None | Some(Value::Null) => visitor.usuario.as_ref().map(|u| u.direccion.clone()).unwrap_or_default(),
        v => text(v, "direccion")?,
    };
    let metodo_pago = text(obj.get("metodo_pago"), "metodo_pago")?;
    let metodo_pago = if metodo_pago.is_empty() { "efectivo".to_owned() } else { metodo_pago };
    let notas = text(obj.get("notas"), "notas")?;
    let mut checkout = Checkout::parse(cliente, &direccion, &metodo_pago, &notas, &items, visitor.usuario.as_ref())?;
    if visitor.usuario.is_none() {
        checkout.sesion = Some(visitor.token.hash());
    }
    let pedido = state.checkout.place(&checkout).await?;
    if from_cart {
        state.store.save_cart(&visitor.cart_owner().key(), &Cart::default()).await?;
    }
    let seguimiento_url = super::tracking::absolute_url(&state, &headers, &pedido.numero);
    Ok(Json(CheckoutResponse::from_pedido(&pedido, seguimiento_url)).into_response())
}
