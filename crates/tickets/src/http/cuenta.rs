//! Login, logout and one's own password.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use belgrano_platform::csrf::{self, CsrfForm, CsrfToken};
use belgrano_platform::http::{ClientAddress, safe_next};
use belgrano_platform::password;
use belgrano_platform::session::Token;

use super::AppState;
use super::auth::{CurrentUser, MaybeUser, SessionToken, home_of};
use super::page::PageError;
use crate::accounts::{CSRF_COOKIE, LoginOutcome, session_cookie};
use crate::domain::input::NewPassword;
use crate::domain::usuario::Usuario;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        // GET too: the old navigation link was a plain link.
        .route("/logout", post(logout).get(logout_link))
        .route("/cuenta", get(|| async { Redirect::to("/cuenta/password") }))
        .route("/cuenta/password", get(password_form).post(password_submit))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    usuario: Option<Usuario>,
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

#[derive(Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    next: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    CsrfToken(csrf): CsrfToken,
    SessionToken(previous): SessionToken,
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
    let outcome = state.accounts.login(&form.email, &form.password, &address).await?;
    Ok(match outcome {
        LoginOutcome::TooManyAttempts => again(
            StatusCode::TOO_MANY_REQUESTS,
            "Demasiados intentos fallidos. Por seguridad, espere 15 minutos antes de volver a intentar.",
        ),
        LoginOutcome::WrongCredentials => again(StatusCode::UNAUTHORIZED, "Email o contraseña incorrectos."),
        LoginOutcome::Inactive => again(StatusCode::FORBIDDEN, "Su cuenta está desactivada. Consulte con despacho."),
        LoginOutcome::LoggedIn { user, token } => {
            // A session the browser brought along ends: one login, one id.
            let cookie = session_cookie(state.secure_cookies());
            if let Some(previous) = previous {
                state.accounts.logout(&previous).await?;
                state.broadcaster.disconnect_session(&previous);
            }
            let to = next.unwrap_or_else(|| home_of(&user).to_owned());
            let mut response = Redirect::to(&to).into_response();
            let h = response.headers_mut();
            h.append(header::SET_COOKIE, cookie.set(token.as_str()));
            // A new CSRF token with the new session, too.
            let csrf_cookie = csrf::cookie_spec(CSRF_COOKIE, state.secure_cookies());
            h.append(header::SET_COOKIE, csrf_cookie.set(Token::generate().as_str()));
            response
        }
    })
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    end_session(&state, token).await
}

/// `GET /logout`: the old link. Without a CSRF token, another site could
/// only log a person out, which is what the link is for.
async fn logout_link(State(state): State<AppState>, SessionToken(token): SessionToken) -> Result<Response, PageError> {
    end_session(&state, token).await
}

async fn end_session(state: &AppState, token: Option<Token>) -> Result<Response, PageError> {
    let cookie = session_cookie(state.secure_cookies());
    if let Some(token) = token {
        state.accounts.logout(&token).await?;
        // Its live connections end too, on every instance.
        state.broadcaster.disconnect_session(&token);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie.clear());
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "cuenta/password.html")]
struct PasswordPage {
    csrf: String,
    usuario: Option<Usuario>,
    mensaje: Option<&'static str>,
    aviso: Option<&'static str>,
}

async fn password_form(CurrentUser(user): CurrentUser, CsrfToken(csrf): CsrfToken) -> PasswordPage {
    PasswordPage { csrf, usuario: Some(user), mensaje: None, aviso: None }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    actual: String,
    nueva: String,
    confirmacion: String,
}

async fn password_submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    SessionToken(token): SessionToken,
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
    // Whoever else held a session of this account is out, live connections
    // included; this one stays.
    match token {
        Some(token) => {
            state.accounts.end_other_sessions(user.id, &token).await?;
            state.broadcaster.disconnect_usuario_except(user.id, &token);
        }
        None => {
            state.broadcaster.disconnect_usuario(user.id, crate::live::Motivo::CuentaModificada);
        }
    }
    Ok(page(None, Some("Contraseña actualizada. Las demás sesiones de su cuenta se cerraron.")).into_response())
}
