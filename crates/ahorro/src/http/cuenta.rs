//! Ways back in and the customer's own data: `/buscar-pedido` (a guest
//! finds an order again by its number and e-mail, and lands on its
//! tracking page), `GET /perfil/datos` (everything the shop keeps about
//! the account, as a JSON file) and `/perfil/eliminar` (the account erased,
//! its orders kept without the person). The rules are
//! [`crate::lookup`]'s and [`crate::datos`]'.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::ClientAddress;
use belgrano_platform::session::Token;

use super::accounts::profile_page;
use super::error::PageError;
use super::extract::Visitor;
use super::layout::{FormError, Layout, login_to, message};
use super::state::AppState;
use crate::datos::{DatosPersonales, EmailRefusal, EraseRefusal};
use crate::domain::pedido::Busqueda;
use crate::lookup::{Lookup, MAX_FAILED_LOOKUPS, PedidoLookup};
use crate::tracking;

/// The one answer to a wrong pair, whichever half was wrong.
pub const NO_ENCONTRADO: &str = "No encontramos un pedido con esos datos. Revisá el número y el e-mail.";

#[derive(Template, WebTemplate)]
#[template(path = "buscar_pedido.html")]
pub struct BuscarPedidoPage {
    pub l: Layout,
    pub numero: String,
    pub email: String,
    pub error_numero: String,
    pub error_email: String,
    /// The answer about the pair (not found, too many tries).
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "eliminar_cuenta.html")]
pub struct EliminarCuentaPage {
    pub l: Layout,
    pub email: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cuenta_eliminada.html")]
pub struct CuentaEliminadaPage {
    pub l: Layout,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BuscarForm {
    pub numero: String,
    pub email: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EmailForm {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EliminarForm {
    pub password: String,
}

async fn buscar_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    f: BuscarForm,
    errors: &[FieldError],
    error: &str,
) -> Result<Response, PageError> {
    let of = |field: &str| errors.iter().find(|e| e.field == field).map(message).unwrap_or_default();
    let page = BuscarPedidoPage {
        l: Layout::new(state, visitor, "Buscar mi pedido").await?,
        error_numero: of("numero"),
        error_email: of("email"),
        numero: f.numero.trim().to_owned(),
        email: f.email.trim().to_owned(),
        error: error.to_owned(),
    };
    Ok((status, page).into_response())
}

/// `GET /buscar-pedido` (`?numero=` fills the number in).
pub async fn buscar_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(f): Query<BuscarForm>,
) -> Result<Response, PageError> {
    let f = BuscarForm { email: String::new(), ..f };
    buscar_page(&state, &visitor, StatusCode::OK, f, &[], "").await
}

/// `POST /buscar-pedido`: to the order's tracking page on a match; else
/// one neutral answer (404), or 429 after too many wrong pairs from this
/// address.
pub async fn buscar(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(f): CsrfForm<BuscarForm>,
) -> Result<Response, PageError> {
    let busqueda = match Busqueda::parse(&f.numero, &f.email) {
        Ok(b) => b,
        Err(errors) => return buscar_page(&state, &visitor, StatusCode::BAD_REQUEST, f, &errors, "").await,
    };
    match PedidoLookup::new(state.store.clone()).find(&busqueda, &address).await? {
        Lookup::Found(numero) => Ok(Redirect::to(&tracking::path(state.secret(), &numero)).into_response()),
        Lookup::NotFound => buscar_page(&state, &visitor, StatusCode::NOT_FOUND, f, &[], NO_ENCONTRADO).await,
        Lookup::Limited => {
            let error = format!(
                "Hiciste demasiados intentos ({MAX_FAILED_LOOKUPS}) sin encontrar el pedido. \
                 Esperá 15 minutos y probá de nuevo, o buscá el enlace de seguimiento en el e-mail de confirmación."
            );
            buscar_page(&state, &visitor, StatusCode::TOO_MANY_REQUESTS, f, &[], &error).await
        }
    }
}

/// `POST /perfil/email`: a new e-mail for the account, with its password.
pub async fn change_email(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    let error = match DatosPersonales::new(state.store.clone()).change_email(&u, &f.password, &f.email).await? {
        Ok(()) => {
            let visitor = Visitor { usuario: state.store.usuario(u.id).await?, ..visitor };
            return profile_page(&state, &visitor, "Email cambiado.".into(), FormError::default()).await;
        }
        Err(EmailRefusal::WrongPassword) => {
            FormError { field: "email.password".into(), message: "La contraseña no es correcta.".into() }
        }
        Err(EmailRefusal::Invalid(e)) => FormError::field(&e).in_form("email"),
        Err(EmailRefusal::Taken) => {
            FormError { field: "email.email".into(), message: "Ya existe una cuenta con ese email.".into() }
        }
    };
    profile_page(&state, &visitor, String::new(), error).await
}

/// `GET /perfil/datos`: the account's data as a JSON file.
pub async fn export(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let Some(u) = &visitor.usuario else { return Ok(login_to("/perfil/datos")) };
    let export = DatosPersonales::new(state.store.clone()).export(u).await?;
    let body = serde_json::to_vec_pretty(&export).map_err(anyhow::Error::from)?;
    let disposition = "attachment; filename=\"belgrano-ahorro-mis-datos.json\"";
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CONTENT_DISPOSITION, HeaderValue::from_static(disposition)),
        ],
        body,
    )
        .into_response())
}

async fn eliminar_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    error: &str,
) -> Result<Response, PageError> {
    let Some(u) = &visitor.usuario else { return Ok(login_to("/perfil/eliminar")) };
    let page = EliminarCuentaPage {
        l: Layout::new(state, visitor, "Eliminar mi cuenta").await?,
        email: u.email.clone(),
        error: error.to_owned(),
    };
    Ok((status, page).into_response())
}

/// `GET /perfil/eliminar`: what goes, what is kept and why, the form.
pub async fn eliminar_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    eliminar_page(&state, &visitor, StatusCode::OK, "").await
}

/// `POST /perfil/eliminar`: erases the account once the password proves
/// it; the browser goes on as a new guest.
pub async fn eliminar(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<EliminarForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil/eliminar")) };
    match DatosPersonales::new(state.store.clone()).erase(&u, &f.password).await? {
        Ok(()) => {
            let token = Token::generate();
            let guest = Visitor { token: token.clone(), usuario: None, ..visitor };
            let mut response =
                CuentaEliminadaPage { l: Layout::new(&state, &guest, "Cuenta eliminada").await? }.into_response();
            response.headers_mut().append(SET_COOKIE, state.session_cookie().set(token.as_str()));
            Ok(response)
        }
        Err(EraseRefusal::WrongPassword) => {
            eliminar_page(&state, &visitor, StatusCode::BAD_REQUEST, "La contraseña no es correcta.").await
        }
        Err(EraseRefusal::Staff) => {
            let error = "Las cuentas del personal se dan de baja desde la administración.";
            eliminar_page(&state, &visitor, StatusCode::FORBIDDEN, error).await
        }
    }
}
