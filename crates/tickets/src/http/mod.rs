//! The HTTP surface: turns requests into domain calls and results into
//! responses. No SQL here.

mod accounts;
pub mod assets;
mod courier;
mod couriers;
mod extract;
mod health;
mod intake;
mod metrics;
mod notifications;
pub mod page;
mod panel;
mod tickets;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use crate::events::SocketLayer;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
use belgrano_shared::api_key::ApiKeys;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::events::Broadcaster;
use crate::intake::Intake;
use crate::lifecycle::Lifecycle;
use crate::store::Store;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub intake: Intake,
    pub lifecycle: Lifecycle,
    pub api_keys: Arc<ApiKeys>,
    pub broadcaster: Broadcaster,
}

/// The OpenAPI document of the JSON API, checked against real responses in
/// the tests; it is a static file, so it needs nothing at build or run time.
pub const OPENAPI: &str = include_str!("../../api/openapi.json");

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub fn router(state: AppState, socket_layer: SocketLayer) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let routes = Router::new()
        .route("/", get(health::index))
        .route("/health", get(health::health))
        .route("/healthz", get(health::healthz))
        .route("/api/tickets", post(intake::create_ticket).get(tickets::list))
        // The old clients' alias: same behaviour.
        .route("/api/tickets/recibir", post(intake::create_ticket))
        .route("/api/tickets/{id}", get(tickets::show).patch(tickets::update).delete(tickets::delete))
        .route("/api/tickets/{id}/historial", get(tickets::history))
        .route("/metrics", get(metrics::render))
        .route("/api/openapi.json", get(openapi))
        .route("/api/notificaciones/fallidas", get(notifications::failed))
        .route("/api/notificaciones/{id}/reintentar", post(notifications::retry))
        .merge(accounts::routes())
        .route("/panel", get(panel::board))
        .route("/panel/tickets", get(panel::list))
        .route("/panel/tickets/{id}", get(panel::detail))
        .route("/panel/tickets/{id}/imprimir", get(panel::slip))
        .route("/panel/tickets/{id}/estado", post(panel::change_estado))
        .route("/panel/tickets/{id}/repartidor", post(panel::change_repartidor))
        .route("/panel/tickets/{id}/eliminar", post(panel::delete))
        .route("/reportes", get(panel::reports_page))
        .route("/repartidor", get(courier::index))
        .route("/repartidor/tickets/{id}/estado", post(courier::change_estado))
        .route_layer(axum::middleware::from_fn(|request, next| {
            belgrano_shared::observability::track_requests("tickets", request, next)
        }))
        // Every visitor gets a CSRF token for the forms of the page.
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::csrf::ensure_cookie))
        .with_state(state);
    socket_layer
        .apply(routes)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
