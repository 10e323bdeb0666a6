//! The HTTP surface: pages, the JSON API, health and static assets. It
//! turns requests into service and store calls and results into
//! responses; no SQL here.
//!
//! Layering, so no module imports one that imports it back: [`router`]
//! (here) imports the handler modules; each handler module (with its page
//! structs and forms) imports `state`, `layout`, `extract` and `error`,
//! which import no handler.

mod accounts;
mod actualizaciones;
mod admin;
mod antiguas;
mod api_v1;
mod assets;
mod carrito;
mod catalogo;
mod checkout;
mod comerciantes;
mod correo;
mod cuenta;
mod direcciones;
mod entrega;
mod error;
mod extract;
mod health;
mod layout;
mod metrics;
mod paginas;
mod pedidos;
mod seguimiento;
mod state;

use std::time::Duration;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::Response;
use axum::routing::{get, post};
use belgrano_platform::http::{Standard, with_standard_layers};
use belgrano_platform::{csrf, session, telemetry};
use state::{csrf_cookie, session_cookie};

pub use error::{ApiError, PageError};
pub use state::{AppState, AppStateInner};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// A request still running after this answers 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The OpenAPI document of the JSON API, checked against real responses in
/// the tests; it is a static file, so it needs nothing at build or run time.
pub const OPENAPI: &str = include_str!("../../api/openapi.json");

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub fn router(state: AppState) -> Router {
    let secure = state.settings.secure_cookies();
    let routes = Router::new()
        .route("/", get(catalogo::home))
        .route("/negocio/{id}", get(catalogo::negocio))
        .route("/categoria/{id}", get(catalogo::categoria))
        .route("/producto/{id}", get(catalogo::producto))
        .route("/ofertas/{id}", get(catalogo::oferta))
        .route("/carrito", get(carrito::show))
        .route("/carrito/agregar", post(carrito::add))
        .route("/carrito/actualizar", post(carrito::update))
        .route("/carrito/vaciar", post(carrito::empty))
        .route("/login", get(accounts::login_form).post(accounts::login))
        .route("/register", get(accounts::register_form).post(accounts::register))
        .route("/logout", get(accounts::logout_form).post(accounts::logout))
        .route("/perfil", get(accounts::profile).post(accounts::update_profile))
        .route("/perfil/password", post(accounts::change_password))
        .route("/perfil/direcciones", post(direcciones::add))
        .route("/perfil/direcciones/{id}/borrar", post(direcciones::delete))
        .route("/perfil/email", post(cuenta::change_email))
        .route("/perfil/datos", get(cuenta::export))
        .route("/perfil/eliminar", get(cuenta::eliminar_form).post(cuenta::eliminar))
        .route("/buscar-pedido", get(cuenta::buscar_form).post(cuenta::buscar))
        .route("/password/olvide", get(correo::olvide_form).post(correo::olvide))
        .route("/password/nueva/{token}", get(correo::nueva_form).post(correo::nueva))
        .route("/contacto", get(correo::contacto_form).post(correo::contacto))
        .route("/dev/correo", get(correo::dev_mailbox))
        .route("/checkout", get(checkout::form).post(checkout::submit))
        .route("/pedido/{numero}", get(pedidos::show))
        .route("/mis_pedidos", get(pedidos::list))
        .route("/mis_pedidos/eventos", get(seguimiento::mis_events))
        .route("/seguimiento/{token}", get(seguimiento::page))
        .route("/seguimiento/{token}/eventos", get(seguimiento::events))
        .route("/mis_pedidos/{numero}/repetir", post(pedidos::repeat))
        .route("/api/checkout", post(checkout::api))
        .route("/api/entrega/opciones", get(entrega::opciones))
        .route("/api/tickets", post(actualizaciones::receive))
        .route("/api/openapi.json", get(openapi))
        .route("/test", get(health::test))
        .route("/healthz", get(health::healthz))
        .route("/health", get(health::health))
        .route("/metrics", get(metrics::render))
        .route("/static/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(admin::routes())
        .merge(paginas::routes())
        .merge(antiguas::routes())
        .merge(api_v1::routes())
        .merge(comerciantes::routes())
        // Labelled by route template, so ids and tokens do not explode the series.
        .route_layer(axum::middleware::from_fn(|request, next| telemetry::track_requests("ahorro", request, next)))
        .fallback(catalogo::not_found)
        // Innermost first: the visitor's token cookie is set before the CSRF
        // cookie, so a first visit's first `Set-Cookie` is the session's.
        .layer(axum::middleware::from_fn_with_state(session_cookie(secure), session::visitor_token))
        .layer(axum::middleware::from_fn_with_state(csrf_cookie(secure), csrf::ensure_cookie))
        .layer(axum::middleware::map_response(private_by_default))
        .with_state(state);
    // Secure cookies and HSTS go together: production is served over HTTPS.
    with_standard_layers(
        routes,
        Standard {
            body_bytes: MAX_BODY_BYTES,
            timeout: REQUEST_TIMEOUT,
            https_only: secure,
            on_panic: error::on_panic,
        },
    )
}

/// Pages are personal (cart, account): never cached in shared caches,
/// unless a handler says otherwise (static assets, event streams).
async fn private_by_default(mut response: Response) -> Response {
    if !response.headers().contains_key(CACHE_CONTROL) {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    response
}
