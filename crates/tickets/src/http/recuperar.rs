//! A forgotten password (dispatchers and couriers): "¿Olvidó su
//! contraseña?" on the login page → `/password/olvide` (the same answer
//! whether the e-mail has an account; 429 when asked too often) → the
//! mailed link `/password/nueva/{token}` (single use, one hour) → every
//! session of the account ends, live connections included. And
//! `/dev/correo`, the mails kept without `SMTP_URL` (404 in production).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use belgrano_platform::csrf::{CsrfForm, CsrfToken};
use belgrano_platform::http::ClientAddress;

use super::AppState;
use super::page::PageError;
use crate::accounts::{ResetRefusal, ResetRequest};
use crate::domain::usuario::Usuario;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/password/olvide", get(olvide_form).post(olvide))
        .route("/password/nueva/{token}", get(nueva_form).post(nueva))
        .route("/dev/correo", get(dev_mailbox))
}

#[derive(Template, WebTemplate)]
#[template(path = "password_olvide.html")]
struct OlvidePage {
    csrf: String,
    usuario: Option<Usuario>,
    email: String,
    enviado: bool,
    mensaje: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "password_nueva.html")]
struct NuevaPage {
    csrf: String,
    usuario: Option<Usuario>,
    token: String,
    invalido: Option<&'static str>,
    mensaje: Option<&'static str>,
    hecho: bool,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct NuevaForm {
    nueva: String,
    confirmacion: String,
}

async fn olvide_form(CsrfToken(csrf): CsrfToken) -> OlvidePage {
    OlvidePage { csrf, usuario: None, email: String::new(), enviado: false, mensaje: None }
}

async fn olvide(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let page =
        |enviado, mensaje| OlvidePage { csrf: csrf.clone(), usuario: None, email: email.clone(), enviado, mensaje };
    if belgrano_contract::Email::parse(&email).is_err() {
        return Ok((StatusCode::BAD_REQUEST, page(false, Some("Ingrese un email válido."))).into_response());
    }
    let base = state.settings.public_url.clone();
    let link = |token: &str| format!("{base}/password/nueva/{token}");
    Ok(match state.accounts.request_reset(&email, &address, link).await? {
        ResetRequest::Done => {
            state.mail_worker.wake();
            page(true, None).into_response()
        }
        ResetRequest::Limited => (
            StatusCode::TOO_MANY_REQUESTS,
            page(false, Some("Se pidieron demasiados enlaces en poco tiempo. Espere una hora e intente de nuevo.")),
        )
            .into_response(),
    })
}

async fn nueva_form(
    State(state): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let page =
        |invalido| NuevaPage { csrf, usuario: None, token: token.clone(), invalido, mensaje: None, hecho: false };
    Ok(match state.accounts.reset_link(&token).await? {
        Ok(()) => page(None).into_response(),
        Err(refusal) => (StatusCode::GONE, page(Some(mensaje_de(refusal)))).into_response(),
    })
}

/// The desk says *usted*.
fn mensaje_de(refusal: belgrano_platform::reset::Refusal) -> &'static str {
    use belgrano_platform::reset::Refusal;
    match refusal {
        Refusal::Unknown => "Ese enlace para cambiar la contraseña no es válido. Pida uno nuevo.",
        Refusal::Used => "Ese enlace ya se usó: cada enlace sirve una sola vez. Si hace falta, pida uno nuevo.",
        Refusal::Expired => "Ese enlace venció (dura una hora). Pida uno nuevo.",
    }
}

async fn nueva(
    State(state): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<NuevaForm>,
) -> Result<Response, PageError> {
    let outcome =
        state.accounts.reset_password(&token, &form.nueva, &form.confirmacion).await.map_err(PageError::Unavailable)?;
    let page = NuevaPage { csrf, usuario: None, token, invalido: None, mensaje: None, hecho: false };
    Ok(match outcome {
        Ok(user_id) => {
            // Its live connections end too, on every instance.
            state.broadcaster.disconnect_usuario(user_id, crate::live::Motivo::CuentaModificada);
            NuevaPage { hecho: true, ..page }.into_response()
        }
        Err(ResetRefusal::Link(refusal)) => {
            (StatusCode::GONE, NuevaPage { invalido: Some(mensaje_de(refusal)), ..page }).into_response()
        }
        Err(ResetRefusal::Invalid(why)) => {
            (StatusCode::BAD_REQUEST, NuevaPage { mensaje: Some(why), ..page }).into_response()
        }
    })
}

async fn dev_mailbox(State(state): State<AppState>) -> Result<Response, PageError> {
    if state.settings.environment.is_production() {
        return Err(PageError::NotFound(
            "La página que buscaba no existe. Revise la dirección o vuelva al inicio.".into(),
        ));
    }
    let mails = state.store.correos(200).await?;
    Ok(Html(belgrano_platform::mail::dev_page("Belgrano Tickets", &mails)).into_response())
}
