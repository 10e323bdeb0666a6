//! Login, logout and one's own password; [`routes`] also mounts the courier
//! pages and the static files.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::PageError;
use super::{AppState, assets, couriers};
use crate::auth::input::NewPassword;
use crate::auth::login::{LoginOutcome, login};
use crate::auth::{self, ClientAddress, CurrentUser, MaybeUser, home_of, password, safe_next};
use crate::csrf::{self, CsrfForm, CsrfToken};
use crate::users::User;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/cuenta", get(|| async { Redirect::to("/cuenta/password") }))
        .route("/cuenta/password", get(password_form).post(password_submit))
        .route("/static/{*path}", get(assets::serve))
        .merge(couriers::routes())
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    usuario: Option<User>,
    email: String,
    next: Option<String>,
    mensaje: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(MaybeUser(user): MaybeUser, CsrfToken(csrf): CsrfToken, Query(q): Query<NextQuery>) -> Response {
    if let Some(user) = user {
        return Redirect::to(home_of(&user)).into_response();
    }
    let next = q.next.as_deref().and_then(safe_next);
    LoginPage { csrf, usuario: None, email: String::new(), next, mensaje: None }.into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    CsrfToken(csrf): CsrfToken,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(&form.next);
    let again = |status: StatusCode, mensaje: &'static str| {
        let page = LoginPage {
            csrf: csrf.clone(),
            usuario: None,
            email: form.email.trim().to_owned(),
            next: next.clone(),
            mensaje: Some(mensaje),
        };
        (status, page).into_response()
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return Ok(again(StatusCode::BAD_REQUEST, "Ingrese su email y su contraseña."));
    }
    let outcome = login(&state.store, &form.email, &form.password, &address).await?;
    Ok(match outcome {
        LoginOutcome::TooManyAttempts => again(
            StatusCode::TOO_MANY_REQUESTS,
            "Demasiados intentos fallidos. Por seguridad, espere 15 minutos antes de volver a intentar.",
        ),
        LoginOutcome::WrongCredentials => again(StatusCode::UNAUTHORIZED, "Email o contraseña incorrectos."),
        LoginOutcome::Inactive => again(StatusCode::FORBIDDEN, "Su cuenta está desactivada. Consulte con despacho."),
        LoginOutcome::LoggedIn { user, token } => {
            // A session the browser brought along ends: one login, one id.
            if let Some(previous) = auth::session_token_from_headers(&headers) {
                state.store.delete_session(&previous).await?;
            }
            let secure = state.settings.environment.is_production();
            let to = next.unwrap_or_else(|| home_of(&user).to_owned());
            let mut response = Redirect::to(&to).into_response();
            let h = response.headers_mut();
            h.append(header::SET_COOKIE, auth::session_cookie(&token, secure));
            // A new CSRF token with the new session, too.
            h.append(header::SET_COOKIE, csrf::cookie(&auth::new_token(), secure));
            response
        }
    })
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(token) = auth::session_token_from_headers(&headers) {
        state.store.delete_session(&token).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, auth::clear_session_cookie(state.settings.environment.is_production()));
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "cuenta/password.html")]
struct PasswordPage {
    csrf: String,
    usuario: Option<User>,
    mensaje: Option<&'static str>,
    aviso: Option<&'static str>,
}

async fn password_form(CurrentUser(user): CurrentUser, CsrfToken(csrf): CsrfToken) -> PasswordPage {
    PasswordPage { csrf, usuario: Some(user), mensaje: None, aviso: None }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    actual: String,
    #[serde(default)]
    nueva: String,
    #[serde(default)]
    confirmacion: String,
}

async fn password_submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let page = |mensaje, aviso| PasswordPage { csrf: csrf.clone(), usuario: Some(user.clone()), mensaje, aviso };
    let nueva = match NewPassword::parse(&form.nueva) {
        Ok(p) => p,
        Err(why) => return Ok((StatusCode::BAD_REQUEST, page(Some(why), None)).into_response()),
    };
    if form.nueva != form.confirmacion {
        return Ok((StatusCode::BAD_REQUEST, page(Some("La confirmación no coincide con la contraseña nueva."), None))
            .into_response());
    }
    let stored = state.store.password_hash_of(user.id).await?;
    if !password::verify(&form.actual, stored).await {
        return Ok((StatusCode::BAD_REQUEST, page(Some("La contraseña actual no es correcta."), None)).into_response());
    }
    let hash = password::hash(nueva.as_str()).await.map_err(PageError::Unavailable)?;
    state.store.set_password_hash(user.id, &hash).await?;
    // Whoever else held a session of this account is out; this one stays.
    if let Some(token) = auth::session_token_from_headers(&headers) {
        state.store.delete_other_sessions(user.id, &token).await?;
    }
    Ok(page(None, Some("Contraseña actualizada. Las demás sesiones de su cuenta se cerraron.")).into_response())
}
