//! The old shop's addresses, which people bookmarked, shared or still have
//! in an open tab, answer a redirect to where the page lives now: a moved
//! page never answers 404.
//!
//! - A `GET` (or `HEAD`) answers 301 Moved Permanently.
//! - A `POST` answers 303 See Other, to the page where that action is done
//!   now, not 308: the old forms carry no CSRF token (the old shop had no
//!   CSRF protection), and some carry other fields (`/procesar_pago` had no
//!   delivery window, `/cambiar-password` said `password_nuevo`), so a 308
//!   replaying them into the new handlers could only end in a refusal. The
//!   customer lands on the cart, the profile or the checkout and does it
//!   again there, with one click.
//! - `/ver_pedido/{id}` and `/repetir_pedido/{id}` named orders by their
//!   numeric id: it is looked up, and only the order's owner is sent on (to
//!   `/pedido/{numero}`, or for a repeat to the order in `/mis_pedidos`,
//!   where its "Repetir pedido" button is: a GET changes nothing). Anyone
//!   else gets the normal 404 of an order that is not theirs, and a guest
//!   the login first. An unknown id is a 404 too: that page did not move,
//!   the order does not exist.
//! - `/ticketera` sent the shop's staff to the dispatch desk: it still does,
//!   to Belgrano Tickets' home (`TICKETERA_URL`, the desk's public address
//!   in every deployment), which sends each person to the login or to their
//!   panel.
//! - `/admin` is the back office's own address again (see `admin`).
//!
//! The old merchants' paths (`/comerciantes/*`) are redirected with the
//! merchants' pages.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use belgrano_platform::http::url_encode;

use super::error::{ApiError, PageError};
use super::extract::Visitor;
use super::layout::login_to;
use super::pedidos::own_pedido;
use super::state::AppState;

/// Old path → its new place.
pub const MOVIDAS: &[(&str, &str)] = &[
    // Profile: the old forms posted here; both are on /perfil now.
    ("/editar-perfil", "/perfil"),
    ("/cambiar-password", "/perfil"),
    // The cart, which the old forms changed by POST (and emptied by GET:
    // now emptying is a button on the cart, and this GET empties nothing).
    ("/agregar_al_carrito", "/carrito"),
    ("/actualizar_cantidad", "/carrito"),
    ("/vaciar_carrito", "/carrito"),
    // The old checkout's submit: the checkout page asks for the delivery window now.
    ("/procesar_pago", "/checkout"),
    // The support page of the old recovery by code.
    ("/contacto-soporte", "/contacto"),
    // The old three-step recovery by mailed code: now a mailed link.
    ("/recuperar-password", "/password/olvide"),
    ("/verificar-codigo", "/password/olvide"),
    ("/cambiar-password-recuperacion", "/password/olvide"),
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/confirmacion/{numero}", get(confirmacion))
        .route("/ver_pedido/{id}", get(ver_pedido))
        .route("/repetir_pedido/{id}", get(repetir_pedido))
        .route("/ticketera", get(ticketera));
    for &(old, new) in MOVIDAS {
        router = router.route(old, any(move |method: Method| async move { moved(&method, new) }));
    }
    router
}

/// 301 for a GET or HEAD, 303 for a form post (see the module's notes).
fn moved(method: &Method, to: &str) -> Response {
    let status = if method == Method::GET || method == Method::HEAD {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::SEE_OTHER
    };
    (status, [(header::LOCATION, to.to_owned())]).into_response()
}

/// `text` as one path segment (a space is `%20` there, not `+`).
fn segment(text: &str) -> String {
    url_encode(text).replace('+', "%20")
}

fn permanent(to: &str) -> Response {
    moved(&Method::GET, to)
}

/// The old confirmation page is the order's page.
async fn confirmacion(Path(numero): Path<String>) -> Response {
    permanent(&format!("/pedido/{}", segment(&numero)))
}

async fn ver_pedido(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(p) = own_by_id(&state, &visitor, &id).await? else { return Ok(login_to(&format!("/ver_pedido/{id}"))) };
    Ok(permanent(&format!("/pedido/{}", segment(p.numero.as_str()))))
}

async fn repetir_pedido(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(p) = own_by_id(&state, &visitor, &id).await? else {
        return Ok(login_to(&format!("/repetir_pedido/{id}")));
    };
    // An account's orders are listed, each with its "Repetir pedido".
    Ok(if p.usuario_id.is_some() {
        permanent(&format!("/mis_pedidos#pedido-{}", segment(p.numero.as_str())))
    } else {
        permanent(&format!("/pedido/{}", segment(p.numero.as_str())))
    })
}

/// The visitor's order with numeric id `id`; `None` when a guest should
/// log in first; 404 when there is no such order or it is someone else's.
async fn own_by_id(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
) -> Result<Option<crate::domain::pedido::Pedido>, ApiError> {
    let not_found = ApiError::NotFound("No encontramos ese pedido");
    let Ok(id) = id.trim().parse::<i64>() else { return Err(not_found) };
    let Some(numero) = state.store.numero_de_pedido(id).await? else { return Err(not_found) };
    match own_pedido(state, visitor, &numero).await {
        Ok(p) => Ok(Some(p)),
        Err(ApiError::NotFound(_)) if visitor.is_guest() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The dispatch desk's home.
async fn ticketera(State(state): State<AppState>) -> Response {
    permanent(&format!("{}/", state.settings.ticketera_url.trim_end_matches('/')))
}
