//! Deliveries Tickets refused for good (a 4xx): listed with the reason and
//! put back in the queue, by staff at `/admin/envios` (a "Reintentar" form
//! per row) and `/api/admin/envios` (session + `X-CSRF-Token`), and by
//! scripts with the service API key (`X-API-Key`) at
//! `/api/outbox/fallidos` and `/api/outbox/{id}/reintentar`. All four use
//! the same outbox store functions.
//!
//! Mails the SMTP server refused for good (a 5xx: an address that does not
//! exist) are parked the same way and listed on the same page, each with
//! its own "Reintentar".

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::ServiceAuth;
use serde::Serialize;
use serde_json::{Value, json};

use super::{AdminLayout, Staff, StaffApi};
use crate::http::error::{ApiError, PageError};
use crate::http::extract::NoFields;
use crate::http::state::AppState;

/// A parked delivery as the old API showed it.
#[derive(Serialize)]
pub(super) struct Fallido {
    pub id: i64,
    pub numero: String,
    pub estado: &'static str,
    pub intentos: i64,
    pub ultimo_error: Option<String>,
    pub fecha_creacion: String,
}

async fn parked(state: &AppState) -> Result<Vec<Fallido>, ApiError> {
    Ok(state
        .store
        .outbox()
        .parked()
        .await?
        .into_iter()
        .map(|p| Fallido {
            id: p.id,
            numero: p.subject,
            estado: "fallido",
            intentos: p.attempts,
            ultimo_error: p.last_error,
            fecha_creacion: p.created_at.text(),
        })
        .collect())
}

/// Puts a parked row back in the queue and wakes the worker.
async fn requeue(state: &AppState, id: &str, quien: &str) -> Result<i64, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("envío no encontrado"))?;
    if !state.store.outbox().retry_parked(id).await? {
        return Err(ApiError::NotFound("no hay un envío fallido con ese id"));
    }
    tracing::info!(outbox_id = id, quien, "envío fallido devuelto a la cola");
    state.outbox_worker.wake();
    Ok(id)
}

pub async fn failed(State(state): State<AppState>, _auth: ServiceAuth) -> Result<Json<Value>, ApiError> {
    let fallidos = parked(&state).await?;
    Ok(Json(json!({"count": fallidos.len(), "fallidos": fallidos})))
}

pub async fn retry(
    State(state): State<AppState>,
    _auth: ServiceAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = requeue(&state, &id, "api-key").await?;
    Ok(Json(json!({"exito": true, "id": id, "estado": "pendiente"})))
}

pub async fn api_list(State(state): State<AppState>, _staff: StaffApi) -> Result<Json<Value>, ApiError> {
    let fallidos = parked(&state).await?;
    Ok(Json(json!({"count": fallidos.len(), "fallidos": fallidos})))
}

pub async fn api_retry(
    State(state): State<AppState>,
    staff: StaffApi,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = requeue(&state, &id, &staff.usuario.email).await?;
    Ok(Json(json!({"exito": true, "id": id, "estado": "pendiente"})))
}

/// A parked mail.
pub(super) struct CorreoFallido {
    pub id: i64,
    pub para: String,
    pub asunto: String,
    pub intentos: i64,
    pub ultimo_error: Option<String>,
    pub fecha_creacion: String,
}

async fn parked_correos(state: &AppState) -> Result<Vec<CorreoFallido>, ApiError> {
    Ok(state
        .store
        .correos_outbox()
        .parked()
        .await?
        .into_iter()
        .map(|p| CorreoFallido {
            id: p.id,
            asunto: serde_json::from_str::<belgrano_platform::mail::Correo>(&p.payload)
                .map(|c| c.asunto)
                .unwrap_or_default(),
            para: p.subject,
            intentos: p.attempts,
            ultimo_error: p.last_error,
            fecha_creacion: p.created_at.text(),
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/envios.html")]
struct EnviosPage {
    l: AdminLayout,
    fallidos: Vec<Fallido>,
    correos: Vec<CorreoFallido>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Aviso {
    reintentado: String,
    correo: String,
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<Aviso>) -> Result<Response, PageError> {
    let mut l = AdminLayout::new(&staff, "Envíos fallidos");
    if let Ok(id) = q.reintentado.parse::<i64>() {
        l.aviso = format!("El envío {id} volvió a la cola: se reintenta enseguida.");
    }
    if let Ok(id) = q.correo.parse::<i64>() {
        l.aviso = format!("El correo {id} volvió a la cola: se reintenta enseguida.");
    }
    let (fallidos, correos) = tokio::try_join!(parked(&state), parked_correos(&state))?;
    Ok(EnviosPage { l, fallidos, correos }.into_response())
}

pub async fn retry_correo_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("correo no encontrado"))?;
    if !state.store.correos_outbox().retry_parked(id).await? {
        return Err(ApiError::NotFound("no hay un correo rechazado con ese id").into());
    }
    tracing::info!(correo_id = id, quien = %staff.usuario.email, "correo rechazado devuelto a la cola");
    state.mail_worker.wake();
    Ok(Redirect::to(&format!("/admin/envios?correo={id}")).into_response())
}

pub async fn retry_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let id = requeue(&state, &id, &staff.usuario.email).await?;
    Ok(Redirect::to(&format!("/admin/envios?reintentado={id}")).into_response())
}
