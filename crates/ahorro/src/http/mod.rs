//! The HTTP surface: pages, the JSON API, health and static assets. It
//! turns requests into domain calls and results into responses; no SQL here.

mod account;
mod admin;
mod assets;
mod cart;
mod catalog;
mod checkout;
mod extract;
mod health;
mod metrics;
mod orders;
mod tickets;
mod tracking;
mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::checkout::CheckoutService;
use crate::config::Settings;
use crate::outbox::Deliveries;
use crate::session::{self, Token};
use crate::store::Store;
use crate::tickets_client::TicketsClient;

pub use extract::SessionToken;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub checkout: CheckoutService,
    pub deliveries: Deliveries,
    pub tickets: TicketsClient,
    /// Orders whose ticket changed, for the live tracking streams.
    pub novedades: crate::tracking::Novedades,
    pub login_throttle: Arc<crate::accounts::LoginThrottle>,
}

impl AppState {
    pub fn secret(&self) -> &[u8] {
        self.settings.secret_key.as_bytes()
    }
}

/// The OpenAPI document of the JSON API, checked against real responses in
/// the tests; it is a static file, so it needs nothing at build or run time.
pub const OPENAPI: &str = include_str!("../../api/openapi.json");

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/", get(catalog::home))
        .route("/negocio/{id}", get(catalog::negocio))
        .route("/categoria/{id}", get(catalog::categoria))
        .route("/producto/{id}", get(catalog::producto))
        .route("/carrito", get(cart::show))
        .route("/carrito/agregar", post(cart::add))
        .route("/carrito/actualizar", post(cart::update))
        .route("/carrito/vaciar", post(cart::empty))
        .route("/login", get(account::login_form).post(account::login))
        .route("/register", get(account::register_form).post(account::register))
        .route("/logout", get(account::logout_form).post(account::logout))
        .route("/perfil", get(account::profile).post(account::update_profile))
        .route("/perfil/password", post(account::change_password))
        .route("/checkout", get(checkout::form).post(checkout::submit))
        .route("/pedido/{numero}", get(orders::show))
        .route("/mis_pedidos", get(orders::list))
        .route("/mis_pedidos/eventos", get(tracking::mis_events))
        .route("/seguimiento/{token}", get(tracking::page))
        .route("/seguimiento/{token}/eventos", get(tracking::events))
        .route("/mis_pedidos/{numero}/repetir", post(orders::repeat))
        .route("/api/checkout", post(checkout::api))
        .route("/api/tickets", post(tickets::status_update))
        .route("/api/outbox/fallidos", get(admin::failed))
        .route("/api/outbox/{id}/reintentar", post(admin::retry))
        .route("/api/openapi.json", get(openapi))
        .route("/test", get(health::test))
        .route("/healthz", get(health::healthz))
        .route("/health", get(health::health))
        .route("/metrics", get(metrics::render))
        .route("/static/{*path}", get(assets::serve))
        // Labelled by route template, so ids and tokens do not explode the series.
        .route_layer(axum::middleware::from_fn(|request, next| {
            belgrano_shared::observability::track_requests("ahorro", request, next)
        }))
        .fallback(catalog::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), session_cookie))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Gives every browser a session token cookie (on its first visit) and
/// puts the token in the request for the handlers. A handler that issues
/// its own cookie (login, logout) wins.
async fn session_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = request
        .headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::from_cookie_header);
    let is_new = existing.is_none();
    let token = existing.unwrap_or_else(Token::generate);
    request.extensions_mut().insert(SessionToken(token.clone(), is_new));
    let mut response = next.run(request).await;
    let handler_set_cookie = response.headers().contains_key(SET_COOKIE);
    if is_new
        && !handler_set_cookie
        && let Ok(value) = HeaderValue::from_str(&token.set_cookie(state.settings.secure_cookies()))
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    // Pages are personal (cart, account): never cache them in shared caches.
    if !response.headers().contains_key(CACHE_CONTROL) {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    response
}
