//! The catalogue in the back office: products and stock
//! ([`productos`]: list, create, edit, deactivate, stock, the CSV import
//! and export), bulk prices with a preview ([`precios`]), offers that point
//! at products ([`ofertas`]) and stores with their branches
//! ([`negocios`]). Each action is a page under `/admin/...` (CSRF-checked
//! forms, errors beside the field) and JSON under `/api/admin/...`
//! ([`StaffApi`](super::StaffApi): session and `X-CSRF-Token`). Both parse
//! what they get with the same domain parsers (`domain::catalogo`), so
//! they refuse the same things naming the same field, and nothing is
//! written on a refusal.

#[path = "negocios.rs"]
mod negocios;
#[path = "ofertas.rs"]
mod ofertas;
#[path = "precios.rs"]
mod precios;
#[path = "productos.rs"]
mod productos;

use axum::Router;
use axum::routing::{get, post};
use belgrano_contract::{Centavos, FieldError};

use crate::domain::catalogo::Autor;
use crate::domain::usuario::Usuario;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/productos", get(productos::list_page).post(productos::create_form))
        .route("/admin/productos/nuevo", get(productos::new_page))
        .route("/admin/productos/importar", get(productos::import_page).post(productos::import_form))
        .route("/admin/productos/{id}", get(productos::edit_page).post(productos::edit_form))
        .route("/admin/productos/{id}/stock", post(productos::stock_form))
        .route("/admin/productos/{id}/desactivar", post(productos::deactivate_form))
        .route("/api/admin/productos", get(productos::api_list).post(productos::api_create))
        .route("/api/admin/productos.csv", get(productos::api_export).post(productos::api_import))
        .route("/api/admin/productos/{id}", get(productos::api_get).patch(productos::api_patch))
        .route("/api/admin/productos/{id}/stock", post(productos::api_stock))
        .route("/admin/precios", get(precios::page).post(precios::form))
        .route("/api/admin/precios/ajuste", post(precios::api))
        .route("/admin/ofertas", get(ofertas::list_page).post(ofertas::create_form))
        .route("/admin/ofertas/nueva", get(ofertas::new_page))
        .route("/admin/ofertas/{id}", get(ofertas::edit_page).post(ofertas::edit_form))
        .route("/admin/ofertas/{id}/borrar", post(ofertas::delete_form))
        .route("/api/admin/ofertas", get(ofertas::api_list).post(ofertas::api_create))
        .route("/api/admin/ofertas/{id}", get(ofertas::api_get).patch(ofertas::api_patch).delete(ofertas::api_delete))
        .route("/admin/negocios", get(negocios::page))
        .route("/admin/negocios/{id}", post(negocios::negocio_form))
        .route("/admin/negocios/{id}/sucursales", post(negocios::new_sucursal_form))
        .route("/admin/sucursales/{id}", post(negocios::sucursal_form))
        .route("/api/admin/negocios", get(negocios::api_list))
        .route("/api/admin/negocios/{id}", axum::routing::patch(negocios::api_negocio))
        .route("/api/admin/negocios/{id}/sucursales", post(negocios::api_new_sucursal))
        .route("/api/admin/sucursales/{id}", axum::routing::patch(negocios::api_sucursal))
}

/// Who made a change, for the price history.
fn autor(u: &Usuario) -> Autor {
    Autor { usuario_id: u.id, email: u.email.clone() }
}

/// Pesos for JSON (`1800.5`).
fn pesos(c: Centavos) -> f64 {
    c.pesos()
}

/// A form's error, to show beside its field.
#[derive(Debug, Clone, Default)]
struct FormError(Option<FieldError>);

impl FormError {
    /// The message for `field` ("" when the error is another field's).
    fn of(&self, field: &str) -> String {
        match &self.0 {
            Some(e) if e.field == field => format!("{}.", capitalize(&e.message)),
            _ => String::new(),
        }
    }

    /// A line above the form, for errors no field shows.
    fn general(&self, fields: &[&str]) -> String {
        match &self.0 {
            Some(e) if !fields.contains(&e.field.as_str()) => format!("{}: {}.", e.field, e.message),
            _ => String::new(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// A form field's value: the first of that name.
fn value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Every value of a repeated field (checkboxes).
fn values(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
}
