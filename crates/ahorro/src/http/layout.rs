//! What every page shares: the layout's data ([`Layout`]: title, who is
//! logged in, the cart badge, the CSRF token) and small view helpers.
//! Handler modules import this one; it imports no handler.

use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::FieldError;
use belgrano_platform::http::NextPath;

use super::error::ApiError;
use super::extract::Visitor;
use super::state::AppState;

/// What the layout (`base.html`) needs on every page.
pub struct Layout {
    pub title: String,
    pub usuario: Option<String>,
    /// A merchant account: the nav shows "Mis paquetes".
    pub comerciante: bool,
    pub unidades: i64,
    /// In the hidden `csrf` field of every form, `data-csrf` and the
    /// `csrf-token` meta.
    pub csrf: String,
    pub busqueda: String,
    pub aviso: String,
}

impl Layout {
    pub async fn new(state: &AppState, visitor: &Visitor, title: impl Into<String>) -> Result<Self, ApiError> {
        let carrito = state.store.carrito(&visitor.carrito_owner()).await?;
        Ok(Self {
            title: title.into(),
            usuario: visitor.usuario.as_ref().map(|u| u.nombre.clone()),
            comerciante: visitor.usuario.as_ref().is_some_and(|u| u.es_comerciante()),
            unidades: carrito.unidades(),
            csrf: visitor.csrf.clone(),
            busqueda: String::new(),
            aviso: String::new(),
        })
    }
}

/// To the login page, coming back to `next` after it (pages that need an
/// account): `/login?next=%2Fperfil`.
pub fn login_to(next: &str) -> Response {
    Redirect::to(&NextPath::or_home(next).login_url("/login")).into_response()
}

/// A Spanish sentence for a form error.
pub fn message(e: &FieldError) -> String {
    let campo = match e.field.as_str() {
        "password" => "La contraseña",
        "confirmar_password" => "La confirmación",
        "nombre" | "cliente.nombre" => "El nombre",
        "apellido" | "cliente.apellido" => "El apellido",
        "email" | "cliente.email" => "El email",
        "telefono" | "cliente.telefono" => "El teléfono",
        "direccion" => "La dirección",
        "direccion.calle" => "La dirección (calle)",
        "direccion.altura" => "La dirección (altura)",
        "direccion.piso" => "El piso o depto.",
        "direccion.entre_calles" => "Las entre calles",
        "direccion.barrio" => "El barrio",
        "direccion.codigo_postal" => "El código postal",
        "direccion.referencias" => "Las referencias",
        "franja_id" => "La franja de entrega",
        "paga_con" => "¿Con cuánto pagás?",
        "nombre_negocio" => "El nombre del negocio",
        "cuit" => "El CUIT",
        "tipo_negocio" => "El tipo de negocio",
        "metodo_pago" => "El método de pago",
        "notas" => "Las notas",
        "numero" => "El número de pedido",
        "terminos" => "Los términos",
        "items" => "El carrito",
        other if other.starts_with("items[") => "Un producto del carrito",
        _ => "Un dato",
    };
    format!("{campo}: {}.", e.message)
}
