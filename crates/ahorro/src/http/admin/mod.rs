//! The back office (`/admin`, `/api/admin`): what the shop's staff see and
//! do. Shared pieces live here: who may come in ([`Staff`] for pages,
//! [`StaffApi`] for JSON), the admin layout ([`AdminLayout`],
//! `templates/admin/base.html`) and [`routes`], which merges every admin
//! module's router.
//!
//! # Adding an admin page (or JSON endpoint)
//!
//! 1. In your module (`admin/catalogo.rs`, `admin/imagenes.rs`, ...) add the
//!    route to that module's `routes()`; it is merged here already.
//! 2. A page handler takes `staff: Staff` (anonymous visitors are sent to
//!    `/login?next=…`, customers get a 403 page; call `staff.admin()?` if only
//!    admins may see it). Its template is
//!    `{% extends "admin/base.html" %}` with a `{% block content %}`, and its
//!    struct has a field `l: AdminLayout` built with
//!    `AdminLayout::new(&staff, "Título")` (set `l.aviso` for a green
//!    "guardado" line). Forms carry `<input type="hidden" name="csrf"
//!    value="{{ l.csrf }}">` and the handler reads them with the platform's
//!    `CsrfForm<T>`; errors are `PageError` (`Result<Response, PageError>`).
//! 3. A JSON handler takes `staff: StaffApi` (401 JSON when anonymous, 403
//!    for customers, and for any method but GET/HEAD the `X-CSRF-Token`
//!    header must match the CSRF cookie, else 403 naming `X-CSRF-Token`;
//!    `staff.admin()?` for admin-only calls), the platform's `Json<T>` for
//!    its body and answers `Result<_, ApiError>`. The pages' `fetch` calls
//!    read the token from `<meta name="csrf-token">` (in the layout).
//! 4. Document every `/api/admin/...` endpoint in `api/openapi.json` with its
//!    401 and 403 answers, and add a line to the README's "Back office".
//! 5. Test that a customer gets 403 on it (`tests/api/admin_*.rs`).

mod catalogo;
mod envios;
mod imagenes;
mod mensajes;
mod panel;
mod pedidos;
mod personal;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use belgrano_platform::csrf;
use belgrano_platform::http::url_encode;

use super::error::{ApiError, PageError};
use super::extract::Visitor;
use super::state::AppState;
use crate::domain::usuario::Usuario;

/// What a customer who opens the back office is told.
const NOT_STAFF: &str = "Esta sección es sólo para el personal de la tienda.";
/// What an encargado who opens staff management is told.
const NOT_ADMIN: &str = "Sólo un administrador puede hacer esto.";

/// Every route of the back office (pages and JSON), merged into the
/// shop's router by `http::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(panel::page))
        .route("/admin/envios", get(envios::page))
        .route("/admin/envios/{id}/reintentar", post(envios::retry_form))
        .route("/admin/envios/correos/{id}/reintentar", post(envios::retry_correo_form))
        .route("/api/admin/envios", get(envios::api_list))
        .route("/api/admin/envios/{id}/reintentar", post(envios::api_retry))
        // The service API (X-API-Key), as before.
        .route("/api/outbox/fallidos", get(envios::failed))
        .route("/api/outbox/{id}/reintentar", post(envios::retry))
        .route("/admin/entrega", get(super::entrega::page).post(super::entrega::page_save))
        .route("/api/admin/entrega", get(super::entrega::api_get).put(super::entrega::api_put))
        .merge(personal::routes())
        .merge(pedidos::routes())
        .merge(catalogo::routes())
        .merge(imagenes::routes())
        .merge(mensajes::routes())
}

/// A logged-in member of staff, for pages. Anonymous visitors are
/// redirected to `/login?next=<this page>`; a logged-in customer gets a
/// 403 page.
pub struct Staff {
    pub usuario: Usuario,
    /// The token for this page's forms and `fetch` calls.
    pub csrf: String,
}

impl Staff {
    /// Only an admin may go on (staff management): 403 otherwise.
    pub fn admin(&self) -> Result<(), PageError> {
        if self.usuario.es_admin() { Ok(()) } else { Err(ApiError::Forbidden(NOT_ADMIN).into()) }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state).await.map_err(ApiError::page)?;
        match visitor.usuario {
            None => {
                let here = parts.uri.path_and_query().map_or("/admin", |pq| pq.as_str());
                // A form post has no page to come back to: its page is the GET.
                let here = if parts.method == Method::GET { here } else { parts.uri.path() };
                Err(Redirect::to(&format!("/login?next={}", url_encode(here))).into_response())
            }
            Some(u) if !u.es_staff() => Err(ApiError::Forbidden(NOT_STAFF).page()),
            Some(usuario) => Ok(Staff { usuario, csrf: visitor.csrf }),
        }
    }
}

/// A logged-in member of staff, for the JSON API: 401 when anonymous, 403
/// for a customer, and every call that may change something (any method
/// but GET and HEAD) must carry the page's token in `X-CSRF-Token`.
pub struct StaffApi {
    pub usuario: Usuario,
}

impl StaffApi {
    /// Only an admin may go on: 403 otherwise.
    pub fn admin(&self) -> Result<(), ApiError> {
        if self.usuario.es_admin() { Ok(()) } else { Err(ApiError::Forbidden(NOT_ADMIN)) }
    }
}

impl FromRequestParts<AppState> for StaffApi {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let Some(usuario) = visitor.usuario else { return Err(ApiError::LoginRequired) };
        if !usuario.es_staff() {
            return Err(ApiError::Forbidden(NOT_STAFF));
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            csrf::verify_header(parts).map_err(|_| ApiError::CsrfHeader)?;
        }
        Ok(StaffApi { usuario })
    }
}

/// What `templates/admin/base.html` needs on every admin page.
pub struct AdminLayout {
    pub title: String,
    pub usuario_nombre: String,
    /// Shows "Personal" in the nav.
    pub es_admin: bool,
    /// In the hidden `csrf` field of every form and the `csrf-token` meta.
    pub csrf: String,
    /// A green line under the title ("Guardado."), empty for none.
    pub aviso: String,
}

impl AdminLayout {
    pub fn new(staff: &Staff, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            usuario_nombre: staff.usuario.nombre_completo(),
            es_admin: staff.usuario.es_admin(),
            csrf: staff.csrf.clone(),
            aviso: String::new(),
        }
    }

    pub fn with_aviso(mut self, aviso: impl Into<String>) -> Self {
        self.aviso = aviso.into();
        self
    }
}
