//! The courier's page (`/repartidor`, phone-sized): only their own open
//! tickets, found by account, with the next allowed action as one big
//! button. Another courier's ticket answers 404, as in the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::auth::CourierUser;
use super::page::PageError;
use super::panel::{EstadoForm, IntentoForm, Refusal, estado_change, refusal};
use super::views::TicketView;
use crate::domain::usuario::{Actor, Usuario};
use belgrano_platform::csrf::{CsrfForm, CsrfToken};

#[derive(Template, WebTemplate)]
#[template(path = "repartidor/index.html")]
pub struct CourierPage {
    csrf: String,
    usuario: Option<Usuario>,
    disponible: bool,
    tickets: Vec<TicketView>,
    mensaje: Option<String>,
    /// The last event's seq when the page was made: `courier.js` catches up
    /// from it (and reloads the page if one of the courier's tickets moved).
    ultimo_seq: i64,
}

async fn page(
    state: &AppState,
    user: Usuario,
    csrf: String,
    mensaje: Option<String>,
) -> Result<CourierPage, PageError> {
    // Read first: whatever happens while the page loads is caught up.
    let ultimo_seq = state.store.last_seq().await?;
    let tickets = state.store.open_tickets_of(user.id).await?.iter().map(TicketView::from).collect();
    Ok(CourierPage { csrf, disponible: user.disponible, usuario: Some(user), tickets, mensaje, ultimo_seq })
}

/// `GET /repartidor`.
pub async fn index(
    State(state): State<AppState>,
    CourierUser(user): CourierUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<CourierPage, PageError> {
    page(&state, user, csrf, None).await
}

/// `POST /repartidor/tickets/{id}/estado`: en camino or entregado (with an
/// optional note).
pub async fn change_estado(
    State(state): State<AppState>,
    CourierUser(user): CourierUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EstadoForm>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound("El ticket no existe.".into()))?;
    let outcome = match estado_change(form) {
        Ok(change) => state.lifecycle.change(id, &change, &Actor::from_user(&user)).await.map(drop).map_err(refusal),
        Err(message) => Err(Refusal::BadRequest(message)),
    };
    answer(&state, user, csrf, outcome).await
}

/// `POST /repartidor/tickets/{id}/intento-fallido` (form: `motivo`): "no se
/// pudo entregar". The ticket goes back to dispatch, not cancelled.
pub async fn intento_fallido(
    State(state): State<AppState>,
    CourierUser(user): CourierUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<IntentoForm>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound("El ticket no existe.".into()))?;
    let outcome =
        state.lifecycle.intento_fallido(id, &form.motivo, &Actor::from_user(&user)).await.map(drop).map_err(refusal);
    answer(&state, user, csrf, outcome).await
}

/// Back to the courier's page, or the page with the refusal's message.
async fn answer(
    state: &AppState,
    user: Usuario,
    csrf: String,
    outcome: Result<(), Refusal>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to("/repartidor").into_response()),
        Err(Refusal::Page(error)) => Err(error),
        Err(Refusal::Conflict(message)) => {
            Ok((axum::http::StatusCode::CONFLICT, page(state, user, csrf, Some(message)).await?).into_response())
        }
        Err(Refusal::BadRequest(message)) => {
            Ok((axum::http::StatusCode::BAD_REQUEST, page(state, user, csrf, Some(message)).await?).into_response())
        }
    }
}
