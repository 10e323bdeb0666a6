//! Pages that send mail, and the dev mailbox:
//!
//! - `/password/olvide`: "¿Olvidaste tu contraseña?" (customers and staff
//!   alike: everyone logs in at `/login`). The answer is the same page and
//!   status whether the e-mail has an account or not; too many requests
//!   answer 429;
//! - `/password/nueva/{token}`: the mailed link's form (the registration's
//!   password rules); a used or expired link says so;
//! - `/contacto`: a message to the shop (`CONTACT_EMAIL`), kept for the
//!   back office (`/admin/mensajes`); errors beside their field; too many
//!   from one address or e-mail answer 429 (`crate::contacto`);
//! - `/dev/correo`: the mails kept without `SMTP_URL` (404 in production).
//!
//! The rules are `crate::accounts`' and `crate::store::correos`'.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::ClientAddress;

use super::error::{ApiError, PageError};
use super::extract::Visitor;
use super::layout::{Layout, message};
use super::state::AppState;
use crate::accounts::{ResetRefusal, ResetRequest};
use crate::contacto::{Contactos, Envio};
use crate::domain::contacto::MensajeContacto;

/// Mails the dev mailbox lists.
const DEV_MAILBOX: i64 = 200;

#[derive(Template, WebTemplate)]
#[template(path = "password_olvide.html")]
pub struct OlvidePage {
    pub l: Layout,
    pub email: String,
    pub enviado: bool,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "password_nueva.html")]
pub struct NuevaPage {
    pub l: Layout,
    pub token: String,
    /// The link does not work: this says why, and no form is shown.
    pub invalido: String,
    pub error: String,
    pub hecho: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacto.html")]
pub struct ContactoPage {
    pub l: Layout,
    pub f: ContactoForm,
    pub enviado: bool,
    /// The refused field and why, shown beside it.
    pub error: CampoError,
}

/// A form error shown beside its field (`campo` empty: none).
#[derive(Debug, Default)]
pub struct CampoError {
    pub campo: String,
    pub mensaje: String,
}

impl CampoError {
    /// This field's message, or empty.
    pub fn de(&self, campo: &str) -> &str {
        if self.campo == campo { &self.mensaje } else { "" }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EmailForm {
    pub email: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NuevaForm {
    pub password: String,
    pub confirmar_password: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactoForm {
    pub nombre: String,
    pub email: String,
    pub mensaje: String,
}

pub async fn olvide_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Recuperar la contraseña").await?;
    Ok(OlvidePage { l, email: String::new(), enviado: false, error: String::new() }.into_response())
}

pub async fn olvide(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Recuperar la contraseña").await?;
    let email = f.email.trim().to_lowercase();
    if belgrano_contract::Email::parse(&email).is_err() {
        let error = "Escribí un email válido.".to_owned();
        return Ok((StatusCode::BAD_REQUEST, OlvidePage { l, email, enviado: false, error }).into_response());
    }
    match state.accounts.request_reset(&email, &address).await? {
        ResetRequest::Done => {
            state.mail_worker.wake();
            Ok(OlvidePage { l, email, enviado: true, error: String::new() }.into_response())
        }
        ResetRequest::Limited => {
            let error = "Pediste demasiados enlaces en poco tiempo. Esperá una hora e intentá de nuevo.".to_owned();
            Ok((StatusCode::TOO_MANY_REQUESTS, OlvidePage { l, email, enviado: false, error }).into_response())
        }
    }
}

pub async fn nueva_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Elegí una contraseña nueva").await?;
    let page = |invalido: String| NuevaPage { l, token: token.clone(), invalido, error: String::new(), hecho: false };
    Ok(match state.accounts.reset_link(&token).await? {
        Ok(()) => page(String::new()).into_response(),
        Err(refusal) => (StatusCode::GONE, page(refusal.message().to_owned())).into_response(),
    })
}

pub async fn nueva(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    CsrfForm(f): CsrfForm<NuevaForm>,
) -> Result<Response, PageError> {
    let outcome = state.accounts.reset_password(&token, &f.password, &f.confirmar_password).await?;
    // The visitor's own session may have just ended with the others.
    let visitor = Visitor { usuario: None, ..visitor };
    let l = Layout::new(&state, &visitor, "Elegí una contraseña nueva").await?;
    let page = NuevaPage { l, token, invalido: String::new(), error: String::new(), hecho: false };
    Ok(match outcome {
        Ok(()) => NuevaPage { hecho: true, ..page }.into_response(),
        Err(ResetRefusal::Link(refusal)) => {
            (StatusCode::GONE, NuevaPage { invalido: refusal.message().to_owned(), ..page }).into_response()
        }
        Err(ResetRefusal::Invalid(e)) => {
            (StatusCode::BAD_REQUEST, NuevaPage { error: message(&e), ..page }).into_response()
        }
    })
}

pub async fn contacto_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let f = ContactoForm {
        nombre: visitor
            .usuario
            .as_ref()
            .map(|u| format!("{} {}", u.nombre, u.apellido).trim().to_owned())
            .unwrap_or_default(),
        email: visitor.usuario.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
        mensaje: String::new(),
    };
    let l = Layout::new(&state, &visitor, "Contacto").await?;
    Ok(ContactoPage { l, f, enviado: false, error: CampoError::default() }.into_response())
}

pub async fn contacto(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(f): CsrfForm<ContactoForm>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Contacto").await?;
    let m = match MensajeContacto::parse(&f.nombre, &f.email, &f.mensaje) {
        Ok(m) => m,
        Err(e) => {
            let error = CampoError { campo: e.field.clone(), mensaje: format!("{}.", e.message) };
            return Ok((StatusCode::BAD_REQUEST, ContactoPage { l, f, enviado: false, error }).into_response());
        }
    };
    let usuario_id = visitor.usuario.as_ref().map(|u| u.id);
    match Contactos::new(state.store.clone()).enviar(&state.settings.contact_email, &m, usuario_id, &address).await? {
        Envio::Enviado(_) => {
            state.mail_worker.wake();
            Ok(ContactoPage { l, f: ContactoForm::default(), enviado: true, error: CampoError::default() }
                .into_response())
        }
        Envio::Limitado => {
            let error = CampoError {
                campo: "mensaje".into(),
                mensaje: "Ya nos escribiste varias veces en poco tiempo. Esperá un rato e intentá de nuevo.".into(),
            };
            Ok((StatusCode::TOO_MANY_REQUESTS, ContactoPage { l, f, enviado: false, error }).into_response())
        }
    }
}

/// `/dev/correo`: the kept mails; absent in production.
pub async fn dev_mailbox(State(state): State<AppState>) -> Result<Response, PageError> {
    if state.settings.environment.is_production() {
        return Err(ApiError::NotFound("La dirección que abriste no existe o cambió.").into());
    }
    let mails = state.store.correos(DEV_MAILBOX).await?;
    Ok(Html(belgrano_platform::mail::dev_page("Belgrano Ahorro", &mails)).into_response())
}
