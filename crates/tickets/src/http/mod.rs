//! The HTTP surface: turns requests into domain calls and results into
//! responses; no SQL here. One module per resource, each with its handlers
//! and the page structs they render; [`error`] (the API's one error type)
//! and [`page`] (the pages' one error type) hide internals from clients.

pub mod assets;
mod auth;
mod charts;
mod cuenta;
mod error;
mod health;
mod intake;
mod metrics;
mod notificaciones;
mod page;
mod panel;
mod recuperar;
mod repartidor;
mod reportes;
mod tickets;
mod usuarios;
mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use belgrano_platform::api_key::ApiKeys;
use belgrano_platform::csrf::{self, FormRejections};
use belgrano_platform::http::{Standard, Surface, with_standard_layers};

use crate::accounts::{Accounts, CSRF_COOKIE};
use crate::config::Settings;
use crate::intake::Intake;
use crate::lifecycle::Lifecycle;
use crate::live::{Broadcaster, SocketLayer};
use crate::store::Store;

pub use error::ApiError;
pub use page::PageError;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach. Shared behind one `Arc`: axum clones the
/// state for every request, and a clone of the parts (pools, outboxes,
/// settings) was a dozen atomic counts per request on both cores.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppStateInner {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub accounts: Accounts,
    pub intake: Intake,
    pub lifecycle: Lifecycle,
    pub api_keys: Arc<ApiKeys>,
    pub broadcaster: Broadcaster,
    /// Wakes the mail worker (a mail queued).
    pub mail_worker: belgrano_platform::outbox::Waker,
}

impl AppState {
    /// Cookies are `Secure` in production (HTTPS on Render).
    pub fn secure_cookies(&self) -> bool {
        self.settings.environment.is_production()
    }
}

impl Surface for AppState {
    type ApiError = ApiError;

    fn api_keys(&self) -> &ApiKeys {
        &self.api_keys
    }

    fn behind_proxy(&self) -> bool {
        self.settings.environment.is_production()
    }
}

impl FormRejections for AppState {
    type Rejection = PageError;
}

/// The OpenAPI document of the JSON API, checked against real responses in
/// the tests; it is a static file, so it needs nothing at build or run time.
pub const OPENAPI: &str = include_str!("../../api/openapi.json");

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A handler panicked: a JSON 500 for API calls, a page for people.
fn on_panic(json: bool) -> Response {
    if json {
        ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
    } else {
        PageError::Internal.into_response()
    }
}

/// Any other address: the JSON error for API calls, a Spanish page for
/// people (a browser would otherwise show its own English error).
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    if uri.path().starts_with("/api/") || belgrano_platform::http::wants_json(&headers) {
        return ApiError::NotFound("ruta no encontrada").into_response();
    }
    PageError::NotFound("La página que buscaba no existe. Revise la dirección o vuelva al inicio.".into())
        .into_response()
}

pub fn router(state: AppState, socket_layer: SocketLayer) -> Router {
    let csrf_cookie = csrf::cookie_spec(CSRF_COOKIE, state.secure_cookies());
    let https_only = state.settings.environment.is_production();
    let routes = Router::new()
        .route("/", get(health::index))
        .route("/health", get(health::health))
        .route("/healthz", get(health::healthz))
        .route("/api/tickets", post(intake::create_ticket).get(tickets::list))
        // The old clients' alias: same behaviour.
        .route("/api/tickets/recibir", post(intake::create_ticket))
        .route("/api/tickets/{id}", get(tickets::show).patch(tickets::update).delete(tickets::delete))
        .route("/api/tickets/{id}/historial", get(tickets::history))
        .route("/api/tickets/{id}/intento-fallido", post(tickets::intento_fallido))
        .route("/metrics", get(metrics::render))
        .route("/api/openapi.json", get(openapi))
        .route("/api/notificaciones/fallidas", get(notificaciones::failed))
        .route("/api/notificaciones/{id}/reintentar", post(notificaciones::retry))
        .merge(cuenta::routes())
        .merge(recuperar::routes())
        .merge(usuarios::routes())
        .route("/static/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/panel", get(panel::board))
        .route("/panel/tickets", get(panel::list))
        .route("/panel/tickets/{id}", get(panel::detail))
        .route("/panel/tickets/{id}/imprimir", get(panel::slip))
        .route("/panel/tickets/{id}/estado", post(panel::change_estado))
        .route("/panel/tickets/{id}/repartidor", post(panel::change_repartidor))
        .route("/panel/tickets/{id}/eliminar", post(panel::delete))
        .route("/reportes", get(reportes::page))
        .route("/reportes.csv", get(reportes::csv))
        .route("/repartidor", get(repartidor::index))
        .route("/repartidor/tickets/{id}/estado", post(repartidor::change_estado))
        .route("/repartidor/tickets/{id}/intento-fallido", post(repartidor::intento_fallido))
        .route("/panel/tickets/{id}/intento-fallido", post(panel::intento_fallido))
        .route("/panel/tickets/{id}/editar", post(panel::editar))
        .route_layer(axum::middleware::from_fn(|request, next| {
            belgrano_platform::telemetry::track_requests("tickets", request, next)
        }))
        .fallback(not_found)
        // Every visitor gets a CSRF token for the forms of the page.
        .layer(axum::middleware::from_fn_with_state(csrf_cookie, csrf::ensure_cookie))
        .with_state(state);
    let standard = Standard { body_bytes: MAX_BODY_BYTES, timeout: Duration::from_secs(30), https_only, on_panic };
    with_standard_layers(socket_layer.apply(routes), standard)
}
