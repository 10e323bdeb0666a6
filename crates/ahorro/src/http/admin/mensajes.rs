//! The contact form's messages (`/admin/mensajes`), newest first, for every
//! member of staff: who wrote, when, the text, a `mailto:` link to answer
//! and a "respondido" mark (with who set it), so two people do not answer
//! the same message. `?pendientes=si` shows only those not answered yet.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use belgrano_platform::csrf::CsrfForm;

use super::{AdminLayout, Staff};
use crate::domain::contacto::Contacto;
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

/// Messages one page lists.
const LISTADOS: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/mensajes", get(page)).route("/admin/mensajes/{id}/respondido", post(marcar))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/mensajes.html")]
struct MensajesPage {
    l: AdminLayout,
    mensajes: Vec<Contacto>,
    sin_responder: i64,
    pendientes: bool,
    listados: i64,
}

async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let pendientes = params.get("pendientes").is_some_and(|v| v.trim() == "si");
    let (mensajes, sin_responder) = state.store.contactos(pendientes, LISTADOS).await?;
    let mut l = AdminLayout::new(&staff, "Mensajes");
    if params.get("aviso").is_some_and(|a| a == "respondido") {
        l = l.with_aviso("Marcado como respondido.");
    }
    Ok(MensajesPage { l, mensajes, sin_responder, pendientes, listados: LISTADOS }.into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct MarcaForm {
    /// "si" marks it answered; anything else, not answered again.
    respondido: String,
}

async fn marcar(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<MarcaForm>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("No hay un mensaje con ese número."))?;
    let respondido = f.respondido == "si";
    if !state.store.marcar_contacto(id, respondido, &staff.usuario.nombre_completo()).await? {
        return Err(ApiError::NotFound("No hay un mensaje con ese número.").into());
    }
    let aviso = if respondido { "?aviso=respondido" } else { "" };
    Ok(Redirect::to(&format!("/admin/mensajes{aviso}#mensaje-{id}")).into_response())
}
