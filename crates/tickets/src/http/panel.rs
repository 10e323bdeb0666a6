//! The dispatchers' pages: the live board (`/panel`), a plain list, a
//! ticket's detail with its history and actions (plain forms, so they work
//! without JavaScript) and the printable delivery slip. Reports are in
//! `reportes`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::Estado;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::AppState;
use super::auth::DispatcherUser;
use super::page::PageError;
use super::views::{TicketView, estados, local_time};
use crate::domain::change::{ChangeError, CourierChoice, TicketChange, card};
use crate::domain::usuario::{Actor, Usuario};
use crate::store::{CourierOption, TicketFilter};
use belgrano_platform::csrf::{CsrfForm, CsrfToken};

/// How many tickets the board loads: the open ones plus the last month's.
const BOARD_LIMIT: i64 = 1000;

#[derive(Template, WebTemplate)]
#[template(path = "panel/board.html")]
pub struct BoardPage {
    csrf: String,
    usuario: Option<Usuario>,
    estados: Vec<(&'static str, &'static str)>,
    repartidores: Vec<CourierOption>,
    /// Cards, couriers and the last seq, for `board.js`.
    board_json: String,
}

/// `GET /panel`: the live board.
pub async fn board(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<BoardPage, PageError> {
    // Read the seq first: anything that happens while the page loads is
    // caught up by the board's first "sincronizar".
    let ultimo_seq = state.store.last_seq().await?;
    let filter =
        TicketFilter { desde: Some(Utc::now() - Duration::days(31)), limit: BOARD_LIMIT, ..Default::default() };
    let mut tickets = state.store.tickets(&filter).await?;
    // Open tickets older than a month still belong on the board.
    for estado in Estado::OPEN {
        let older =
            TicketFilter { estado: Some(*estado), hasta: filter.desde, limit: BOARD_LIMIT, ..Default::default() };
        tickets.extend(state.store.tickets(&older).await?);
    }
    let repartidores = state.store.courier_options().await?;
    let cards: Vec<_> = tickets.iter().map(|t| card(t, 0, None)).collect();
    let board_json = script_json(&serde_json::json!({
        "tickets": cards,
        "ultimo_seq": ultimo_seq,
        "repartidores": repartidores,
        // An open ticket without a delivery window is late once this old.
        "demora_minutos": state.settings.demora_minutos,
    }));
    Ok(BoardPage { csrf, usuario: Some(user), estados: estados(), repartidores, board_json })
}

/// JSON to embed in a page as `<script type="application/json">` data.
///
/// The HTML parser does not read JSON: inside a script element it ends the
/// data at `</script`, and `<!--` followed by `<script` makes it skip the
/// real end tag, swallowing the rest of the page (the board's own scripts
/// with it). So every `<`, `>` and `&` is written as a `\u` escape, and so
/// are U+2028 and U+2029 (line terminators to older JavaScript). These
/// characters only occur inside JSON strings, where the escape means the
/// same character: the data parses back exactly as it was.
pub fn script_json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

pub struct ListRow {
    pub id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    pub total_texto: String,
    pub estado: &'static str,
    pub estado_texto: &'static str,
    pub repartidor: Option<String>,
    pub creado: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "panel/list.html")]
pub struct ListPage {
    csrf: String,
    usuario: Option<Usuario>,
    estados: Vec<(&'static str, &'static str)>,
    estado_elegido: String,
    q: String,
    tickets: Vec<ListRow>,
}

/// `GET /panel/tickets`: a plain list (for browsers without JavaScript).
pub async fn list(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Query(params): Query<HashMap<String, String>>,
) -> Result<ListPage, PageError> {
    let estado_elegido = params.get("estado").cloned().unwrap_or_default();
    let q = params.get("q").map(|q| q.trim().to_owned()).unwrap_or_default();
    let filter = TicketFilter {
        estado: estado_elegido.parse().ok(),
        q: (!q.is_empty()).then(|| q.clone()),
        limit: 200,
        ..Default::default()
    };
    let tickets = state
        .store
        .tickets(&filter)
        .await?
        .iter()
        .map(|t| {
            let v = TicketView::from(t);
            ListRow {
                id: v.id,
                numero: v.numero,
                cliente_nombre: v.cliente_nombre,
                cliente_direccion: v.cliente_direccion,
                total_texto: v.total_texto,
                estado: v.estado,
                estado_texto: v.estado_texto,
                repartidor: v.repartidor,
                creado: v.creado,
            }
        })
        .collect();
    Ok(ListPage { csrf, usuario: Some(user), estados: estados(), estado_elegido, q, tickets })
}

pub struct HistoryView {
    pub cuando: String,
    pub quien: String,
    pub detalle: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "panel/detail.html")]
pub struct DetailPage {
    csrf: String,
    usuario: Option<Usuario>,
    t: TicketView,
    repartidores: Vec<CourierOption>,
    historial: Vec<HistoryView>,
    mensaje: Option<String>,
    /// Failed attempts so far and the last one's reason (`_acciones_intento.html`).
    intento: (u32, Option<String>),
}

async fn detail_page(
    state: &AppState,
    user: Usuario,
    csrf: String,
    id: i64,
    mensaje: Option<String>,
) -> Result<DetailPage, PageError> {
    let ticket = state.store.ticket(id).await?.ok_or_else(|| PageError::NotFound("El ticket no existe.".into()))?;
    let historial = state
        .store
        .history(id)
        .await?
        .into_iter()
        .map(|h| HistoryView { cuando: local_time(h.at), quien: h.actor, detalle: h.detail })
        .collect();
    Ok(DetailPage {
        csrf,
        usuario: Some(user),
        intento: (ticket.intentos_fallidos, ticket.motivo_intento.clone()),
        t: TicketView::from(&ticket),
        repartidores: state.store.courier_options().await?,
        historial,
        mensaje,
    })
}

fn ticket_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound("El ticket no existe.".into()))
}

/// `GET /panel/tickets/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<DetailPage, PageError> {
    detail_page(&state, user, csrf, ticket_id(&id)?, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "panel/slip.html")]
pub struct SlipPage {
    t: TicketView,
}

/// `GET /panel/tickets/{id}/imprimir`: the delivery slip.
pub async fn slip(
    State(state): State<AppState>,
    DispatcherUser(_): DispatcherUser,
    Path(id): Path<String>,
) -> Result<SlipPage, PageError> {
    let ticket =
        state.store.ticket(ticket_id(&id)?).await?.ok_or_else(|| PageError::NotFound("El ticket no existe.".into()))?;
    Ok(SlipPage { t: TicketView::from(&ticket) })
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EstadoForm {
    estado: String,
    motivo: Option<String>,
    nota: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RepartidorForm {
    repartidor_id: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EliminarForm {
    confirmacion: String,
}

/// Applies a change from a form: back to the detail page, or the same page
/// with a Spanish message (and status) when it was refused.
async fn apply_from_form(
    state: &AppState,
    user: Usuario,
    csrf: String,
    id: i64,
    change: Result<TicketChange, String>,
) -> Result<Response, PageError> {
    let outcome = match change {
        Ok(change) => state.lifecycle.change(id, &change, &Actor::from_user(&user)).await.map(drop).map_err(refusal),
        Err(message) => Err(Refusal::BadRequest(message)),
    };
    answer_form(state, user, csrf, id, outcome).await
}

/// Back to the detail page, or the same page with the refusal's message.
async fn answer_form(
    state: &AppState,
    user: Usuario,
    csrf: String,
    id: i64,
    outcome: Result<(), Refusal>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/panel/tickets/{id}")).into_response()),
        Err(Refusal::Page(error)) => Err(error),
        Err(Refusal::Conflict(message)) => {
            let page = detail_page(state, user, csrf, id, Some(message)).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(Refusal::BadRequest(message)) => {
            let page = detail_page(state, user, csrf, id, Some(message)).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// How a refused change is shown on a page.
pub enum Refusal {
    Conflict(String),
    BadRequest(String),
    Page(PageError),
}

pub fn refusal(error: ChangeError) -> Refusal {
    match error {
        ChangeError::InvalidTransition { .. } | ChangeError::Final(_) | ChangeError::IntentoNoEnCamino(_) => {
            Refusal::Conflict(error.to_string())
        }
        ChangeError::UnknownCourier
        | ChangeError::MotivoRequerido
        | ChangeError::NothingToChange
        | ChangeError::Invalid(_) => Refusal::BadRequest(error.to_string()),
        ChangeError::NotFound => Refusal::Page(PageError::NotFound("El ticket no existe.".into())),
        ChangeError::Forbidden(why) => Refusal::Page(PageError::Forbidden(why.to_owned())),
        ChangeError::Store(e) => Refusal::Page(e.into()),
    }
}

/// Reads a state-change form.
pub fn estado_change(form: EstadoForm) -> Result<TicketChange, String> {
    let estado: Estado = form.estado.parse()?;
    Ok(TicketChange { estado: Some(estado), motivo: form.motivo, nota: form.nota, ..Default::default() })
}

/// `POST /panel/tickets/{id}/estado` (form: `estado`, `motivo`, `nota`).
pub async fn change_estado(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EstadoForm>,
) -> Result<Response, PageError> {
    apply_from_form(&state, user, csrf, ticket_id(&id)?, estado_change(form)).await
}

/// `POST /panel/tickets/{id}/repartidor` (form: `repartidor_id`, empty = none).
pub async fn change_repartidor(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RepartidorForm>,
) -> Result<Response, PageError> {
    let choice = match form.repartidor_id.trim() {
        "" => Ok(CourierChoice::Unassign),
        raw => raw.parse().map(CourierChoice::Assign).map_err(|_| "Elija un repartidor de la lista.".to_owned()),
    };
    let change = choice.map(|c| TicketChange { repartidor: Some(c), ..Default::default() });
    apply_from_form(&state, user, csrf, ticket_id(&id)?, change).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct IntentoForm {
    pub motivo: String,
}

/// `POST /panel/tickets/{id}/intento-fallido` (form: `motivo`): the delivery
/// failed; back to `pendiente` without a courier.
pub async fn intento_fallido(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<IntentoForm>,
) -> Result<Response, PageError> {
    let id = ticket_id(&id)?;
    let outcome =
        state.lifecycle.intento_fallido(id, &form.motivo, &Actor::from_user(&user)).await.map(drop).map_err(refusal);
    answer_form(&state, user, csrf, id, outcome).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EditarForm {
    prioridad: String,
    indicaciones: String,
    cliente_direccion: String,
}

/// Reads the edit form: every field is sent; unchanged ones change nothing.
fn edicion(form: EditarForm) -> Result<TicketChange, String> {
    let prioridad = form.prioridad.trim().parse().map_err(|_| "Elija una prioridad de la lista.".to_owned())?;
    let direccion = form.cliente_direccion.trim();
    if direccion.is_empty() || direccion.chars().count() > 500 {
        return Err("La dirección no puede quedar vacía ni superar 500 caracteres.".to_owned());
    }
    let indicaciones = form.indicaciones.trim();
    if indicaciones.chars().count() > 2000 {
        return Err("Las indicaciones no pueden superar 2000 caracteres.".to_owned());
    }
    Ok(TicketChange {
        prioridad: Some(prioridad),
        indicaciones: Some((!indicaciones.is_empty()).then(|| indicaciones.to_owned())),
        cliente_direccion: Some(direccion.to_owned()),
        ..Default::default()
    })
}

/// `POST /panel/tickets/{id}/editar` (form: `prioridad`, `indicaciones`, `cliente_direccion`).
pub async fn editar(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EditarForm>,
) -> Result<Response, PageError> {
    apply_from_form(&state, user, csrf, ticket_id(&id)?, edicion(form)).await
}

/// `POST /panel/tickets/{id}/eliminar`: only when the typed confirmation is
/// the ticket's numero.
pub async fn delete(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EliminarForm>,
) -> Result<Response, PageError> {
    let id = ticket_id(&id)?;
    let ticket = state.store.ticket(id).await?.ok_or_else(|| PageError::NotFound("El ticket no existe.".into()))?;
    if form.confirmacion.trim() != ticket.numero {
        let message = format!("Para eliminar escriba exactamente «{}». No se eliminó nada.", ticket.numero);
        let page = detail_page(&state, user, csrf, id, Some(message)).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
    }
    match state.lifecycle.delete(id, &Actor::from_user(&user)).await.map_err(refusal) {
        Ok(()) => Ok(Redirect::to("/panel").into_response()),
        Err(Refusal::Page(error)) => Err(error),
        Err(Refusal::Conflict(m) | Refusal::BadRequest(m)) => Err(PageError::BadRequest(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::script_json;
    use serde_json::json;

    #[test]
    fn script_json_is_inert_in_html_and_parses_back_exactly() {
        let hostile = "</script><script>alert(1)</script>\u{2028}&<b><!--<script>\u{2029}-->";
        let value = json!({"tickets": [{"cliente_nombre": hostile, "numero": "A&B"}], "n": 1});
        let text = script_json(&value);
        for forbidden in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!text.contains(forbidden), "{forbidden:?} in {text}");
        }
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        assert_eq!(back["tickets"][0]["cliente_nombre"], hostile);
    }
}
