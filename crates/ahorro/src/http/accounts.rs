//! Account pages: register, login, logout, profile and password. The
//! rules are `crate::accounts`'; here are the forms, the pages and the
//! session cookie (a new token at every login and logout). Staff log in
//! here too and land on `/admin` (unless the login link names a page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::{ClientAddress, NextPath};
use belgrano_platform::session::Token;

use super::error::{ApiError, PageError};
use super::extract::{NoFields, Visitor};
use super::layout::{FormError, Layout, login_to};
use super::state::AppState;
use crate::accounts::{Login as LoginOutcome, PasswordChange};
use crate::domain::usuario::{self, Registro, RegistroInput, Usuario};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct Login {
    pub l: Layout,
    pub email: String,
    /// Where the login goes on to: only a path of this shop ([`NextPath`]).
    pub next: NextPath,
    /// The registration link, with the same `next`.
    pub register: String,
    pub error: FormError,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
pub struct Register {
    pub l: Layout,
    pub f: RegisterForm,
    pub next: NextPath,
    pub error: FormError,
}

#[derive(Template, WebTemplate)]
#[template(path = "logout.html")]
pub struct Logout {
    pub l: Layout,
}

#[derive(Template, WebTemplate)]
#[template(path = "perfil.html")]
pub struct PerfilPage {
    pub l: Layout,
    pub u: Usuario,
    pub pedidos: i64,
    pub gastado: String,
    pub mensaje: String,
    /// Beside the field of the form it concerns (`perfil.nombre`,
    /// `direccion.calle`, `clave.password`, `email.email`).
    pub error: FormError,
    /// Saved delivery addresses (managed by `http/direcciones.rs`).
    pub direcciones: Vec<crate::domain::entrega::DireccionGuardada>,
    pub zonas: Vec<crate::domain::entrega::Zona>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub next: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    pub nombre: String,
    pub apellido: String,
    pub email: String,
    pub password: String,
    pub confirmar_password: String,
    pub telefono: String,
    pub direccion: String,
    pub comerciante: String,
    pub nombre_negocio: String,
    pub cuit: String,
    pub tipo_negocio: String,
    pub terminos: String,
    pub next: String,
}

impl RegisterForm {
    fn input(&self) -> RegistroInput<'_> {
        RegistroInput {
            nombre: &self.nombre,
            apellido: &self.apellido,
            email: &self.email,
            password: &self.password,
            confirmar_password: &self.confirmar_password,
            telefono: &self.telefono,
            direccion: &self.direccion,
            comerciante: &self.comerciante,
            nombre_negocio: &self.nombre_negocio,
            cuit: &self.cuit,
            tipo_negocio: &self.tipo_negocio,
            terminos: &self.terminos,
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub nombre: String,
    pub apellido: String,
    pub telefono: String,
    pub direccion: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub actual: String,
    pub password: String,
    pub confirmar_password: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    next: String,
}

/// The registration page, coming back to `next` too.
fn register_url(next: &NextPath) -> String {
    if next.is_home() { "/register".to_owned() } else { next.login_url("/register") }
}

pub async fn login_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextParam>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Ingresar").await?;
    let next = NextPath::or_home(&q.next);
    Ok(Login { l, email: String::new(), register: register_url(&next), next, error: FormError::default() }
        .into_response())
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = NextPath::or_home(&f.next);
    let (status, error) = match state.accounts.login(&f.email, &f.password, &address).await? {
        LoginOutcome::Accepted { usuario_id } => {
            // Staff land in the back office unless the link asked for a page.
            let staff = state.store.usuario(usuario_id).await?.is_some_and(|u| u.es_staff());
            let next = if staff && next.is_home() { "/admin" } else { next.as_str() };
            return start_session(&state, &visitor, usuario_id, next).await;
        }
        LoginOutcome::Locked => (
            StatusCode::TOO_MANY_REQUESTS,
            "Demasiados intentos fallidos con ese email. Esperá 15 minutos y probá de nuevo, o pedí una contraseña nueva.",
        ),
        LoginOutcome::Refused => {
            (StatusCode::UNAUTHORIZED, "El email o la contraseña no son correctos. Revisalos y probá de nuevo.")
        }
    };
    let l = Layout::new(&state, &visitor, "Ingresar").await?;
    let email = f.email.trim().to_lowercase();
    let error = FormError::general(error);
    Ok((status, Login { l, email, register: register_url(&next), next, error }).into_response())
}

/// Logs the account in on a fresh token (the guest cart follows) and sends
/// the browser on with its cookie.
async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    usuario_id: i64,
    next: &str,
) -> Result<Response, PageError> {
    let token = state.accounts.start_session(&visitor.token, visitor.is_guest(), usuario_id).await?;
    Ok(with_session_cookie(state, &token, Redirect::to(next).into_response()))
}

fn with_session_cookie(state: &AppState, token: &Token, mut response: Response) -> Response {
    response.headers_mut().append(SET_COOKIE, state.session_cookie().set(token.as_str()));
    response
}

pub async fn register_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextParam>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Crear cuenta").await?;
    Ok(Register { l, f: RegisterForm::default(), next: NextPath::or_home(&q.next), error: FormError::default() }
        .into_response())
}

pub async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> Result<Response, PageError> {
    let next = NextPath::or_home(&f.next);
    let invalid = |error: FormError, mut f: RegisterForm, l: Layout| {
        f.password.clear();
        f.confirmar_password.clear();
        let next = NextPath::or_home(&f.next);
        (StatusCode::BAD_REQUEST, Register { l, f, next, error }).into_response()
    };
    let registro = match Registro::parse(f.input()) {
        Ok(r) => r,
        Err(e) => return Ok(invalid(FormError::field(&e), f, Layout::new(&state, &visitor, "Crear cuenta").await?)),
    };
    match state.accounts.register(registro).await? {
        Some(id) => start_session(&state, &visitor, id, next.as_str()).await,
        None => Ok(invalid(
            FormError {
                field: "email".into(),
                message: "Ya existe una cuenta con ese email. ¿Querés ingresar?".into(),
            },
            f,
            Layout::new(&state, &visitor, "Crear cuenta").await?,
        )),
    }
}

pub async fn logout_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    Ok(Logout { l: Layout::new(&state, &visitor, "Salir").await? }.into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let token = state.accounts.end_session(&visitor.token).await?;
    Ok(with_session_cookie(&state, &token, Redirect::to("/").into_response()))
}

pub(super) async fn profile_page(
    state: &AppState,
    visitor: &Visitor,
    mensaje: String,
    error: FormError,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    let (pedidos, gastado) = state.store.order_stats(u.id).await?;
    let direcciones = state.store.direcciones(u.id).await?;
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = PerfilPage {
        l: Layout::new(state, visitor, "Mi perfil").await?,
        u,
        pedidos,
        gastado: gastado.format_ars(),
        mensaje,
        error,
        direcciones,
        zonas: state.store.ajustes_entrega().await?.zonas,
    };
    Ok((status, page).into_response())
}

pub async fn profile(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    profile_page(&state, &visitor, String::new(), FormError::default()).await
}

pub async fn update_profile(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    match usuario::perfil(&f.nombre, &f.apellido, &f.telefono, &f.direccion) {
        Ok(perfil) => {
            state.store.update_perfil(u.id, &perfil).await?;
            let visitor = Visitor { usuario: state.store.usuario(u.id).await?, ..visitor };
            profile_page(&state, &visitor, "Datos guardados.".into(), FormError::default()).await
        }
        Err(e) => profile_page(&state, &visitor, String::new(), FormError::field(&e).in_form("perfil")).await,
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    let (mensaje, error) = match state
        .accounts
        .change_password(&u, &visitor.token, &f.actual, &f.password, &f.confirmar_password)
        .await?
    {
        Ok(()) => ("Contraseña cambiada.".to_owned(), FormError::default()),
        Err(PasswordChange::NoAccount) => return Err(ApiError::LoginRequired.into()),
        Err(PasswordChange::WrongCurrent) => (
            String::new(),
            FormError { field: "clave.actual".into(), message: "La contraseña actual no es correcta.".into() },
        ),
        Err(PasswordChange::Invalid(e)) => (String::new(), FormError::field(&e).in_form("clave")),
    };
    profile_page(&state, &visitor, mensaje, error).await
}
