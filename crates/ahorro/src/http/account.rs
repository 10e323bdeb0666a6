//! Accounts: register, login, logout, profile. Login and logout issue a new
//! session token; a guest's cart is merged into the account at login.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_shared::Centavos;

use super::AppState;
use super::extract::{CsrfForm, Visitor, form};
use super::views::{Layout, Login, Logout, Perfil, Register};
use crate::accounts::{self, Comercio, NuevoUsuario};
use crate::cart::CartOwner;
use crate::error::{ApiError, PageError};
use crate::session::{self, Token};

form!(LoginForm { email, password, next });
form!(RegisterForm {
    nombre,
    apellido,
    email,
    password,
    confirmar_password,
    telefono,
    direccion,
    comerciante,
    nombre_negocio,
    cuit,
    tipo_negocio,
    terminos
});
form!(ProfileForm { nombre, apellido, telefono, direccion });
form!(PasswordForm { actual, password, confirmar_password });

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    next: String,
}

/// Only local paths, so a login link cannot send the user elsewhere.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextParam>,
) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Ingresar").await?;
    Ok(Login { l, email: String::new(), next: safe_next(&q.next), error: String::new() }.into_response())
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let email = f.email.trim().to_lowercase();
    if state.login_throttle.is_locked(&email) {
        tracing::warn!("login bloqueado por intentos fallidos repetidos");
        let l = Layout::new(&state, &visitor, "Ingresar").await?;
        let error = "Demasiados intentos fallidos para ese email. Espere 15 minutos e intente de nuevo.".to_owned();
        return Ok((StatusCode::TOO_MANY_REQUESTS, Login { l, email, next: safe_next(&f.next), error }).into_response());
    }
    let found = state.store.credentials(&email).await?;
    let ok = match found {
        Some((id, hash)) => accounts::verify_password(f.password.clone(), hash).await.then_some(id),
        None => {
            // Same work for an unknown email: no account enumeration by timing.
            let _ = accounts::verify_password(f.password.clone(), accounts::dummy_hash().await).await;
            None
        }
    };
    let Some(usuario_id) = ok else {
        state.login_throttle.failed(&email);
        let l = Layout::new(&state, &visitor, "Ingresar").await?;
        let page = Login { l, email, next: safe_next(&f.next), error: "Email o contraseña incorrectos".into() };
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    state.login_throttle.succeeded(&email);
    start_session(&state, &visitor, usuario_id, &safe_next(&f.next)).await
}

/// Issues a fresh token bound to the account, merges the guest cart.
async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    usuario_id: i64,
    next: &str,
) -> Result<Response, PageError> {
    if let Err(error) = state.store.purge_expired().await {
        tracing::warn!(%error, "could not purge expired sessions");
    }
    let token = Token::generate();
    let expira = chrono::Utc::now() + chrono::Duration::seconds(session::MAX_AGE_SECS);
    state.store.create_session(&token.hash(), usuario_id, expira).await?;
    if let Some(old) = &visitor.usuario {
        let _ = old; // switching accounts: nothing to merge from a guest
    } else {
        let guest_key = CartOwner::Guest(visitor.token.hash()).key();
        let guest = state.store.cart(&guest_key).await?;
        if !guest.is_empty() {
            let account_key = CartOwner::Account(usuario_id).key();
            let mut cart = state.store.cart(&account_key).await?;
            cart.merge(&guest);
            state.store.save_cart(&account_key, &cart).await?;
            state.store.save_cart(&guest_key, &Default::default()).await?;
        }
    }
    state.store.delete_session(&visitor.token.hash()).await?;
    let mut response = Redirect::to(next).into_response();
    if let Ok(cookie) = token.set_cookie(state.settings.secure_cookies()).parse() {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn register_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Crear cuenta").await?;
    Ok(Register { l, f: RegisterForm::default(), error: String::new() }.into_response())
}

fn validate_registration(
    f: &RegisterForm,
) -> Result<(String, accounts::Perfil, Option<Comercio>, String), belgrano_shared::FieldError> {
    let perfil = accounts::perfil(&f.nombre, &f.apellido, &f.telefono, &f.direccion)?;
    let email = accounts::email(&f.email)?;
    let password = accounts::new_password(&f.password, &f.confirmar_password)?;
    let comercio = if f.comerciante == "si" {
        Some(Comercio {
            nombre_negocio: accounts::text("nombre_negocio", &f.nombre_negocio, true, 200)?,
            cuit: accounts::cuit(&f.cuit)?,
            tipo_negocio: accounts::text("tipo_negocio", &f.tipo_negocio, true, 100)?,
        })
    } else {
        None
    };
    if f.terminos != "si" {
        return Err(belgrano_shared::FieldError::new("terminos", "debe aceptar los términos y condiciones"));
    }
    Ok((email, perfil, comercio, password))
}

/// A Spanish sentence for a form error.
pub fn message(e: &belgrano_shared::FieldError) -> String {
    let campo = match e.field.as_str() {
        "password" => "La contraseña",
        "confirmar_password" => "La confirmación",
        "nombre" | "cliente.nombre" => "El nombre",
        "apellido" | "cliente.apellido" => "El apellido",
        "email" | "cliente.email" => "El email",
        "telefono" | "cliente.telefono" => "El teléfono",
        "direccion" => "La dirección",
        "nombre_negocio" => "El nombre del negocio",
        "cuit" => "El CUIT",
        "tipo_negocio" => "El tipo de negocio",
        "metodo_pago" => "El método de pago",
        "notas" => "Las notas",
        "terminos" => "Los términos",
        "items" => "El carrito",
        other if other.starts_with("items[") => "Un producto del carrito",
        _ => "Un dato",
    };
    format!("{campo}: {}.", e.message)
}

pub async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> Result<Response, PageError> {
    let invalid = |error: String, f: RegisterForm, l: Layout| {
        let mut f = f;
        f.password.clear();
        f.confirmar_password.clear();
        (StatusCode::BAD_REQUEST, Register { l, f, error }).into_response()
    };
    let (email, perfil, comercio, password) = match validate_registration(&f) {
        Ok(v) => v,
        Err(e) => return Ok(invalid(message(&e), f, Layout::new(&state, &visitor, "Crear cuenta").await?)),
    };
    let password_hash = accounts::hash_password(password).await?;
    let nuevo = NuevoUsuario { email, password_hash, perfil, comercio };
    match state.store.create_usuario(&nuevo).await? {
        Some(id) => {
            tracing::info!(usuario_id = id, comerciante = nuevo.comercio.is_some(), "cuenta creada");
            start_session(&state, &visitor, id, "/").await
        }
        None => Ok(invalid(
            "Ya existe una cuenta con ese email.".into(),
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
    CsrfForm(_): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    state.store.delete_session(&visitor.token.hash()).await?;
    let mut response = Redirect::to("/").into_response();
    if let Ok(cookie) = Token::generate().set_cookie(state.settings.secure_cookies()).parse() {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

fn login_redirect(next: &str) -> Response {
    Redirect::to(&format!("/login?next={next}")).into_response()
}

async fn profile_page(
    state: &AppState,
    visitor: &Visitor,
    mensaje: String,
    error: String,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_redirect("/perfil")) };
    let (pedidos, gastado) = state.store.order_stats(u.id).await?;
    let gastado = Centavos(gastado);
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = Perfil {
        l: Layout::new(state, visitor, "Mi perfil").await?,
        u,
        pedidos,
        gastado: gastado.format_ars(),
        mensaje,
        error,
    };
    Ok((status, page).into_response())
}

pub async fn profile(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    profile_page(&state, &visitor, String::new(), String::new()).await
}

pub async fn update_profile(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_redirect("/perfil")) };
    match accounts::perfil(&f.nombre, &f.apellido, &f.telefono, &f.direccion) {
        Ok(perfil) => {
            state.store.update_perfil(u.id, &perfil).await?;
            let visitor = Visitor { token: visitor.token.clone(), usuario: state.store.usuario(u.id).await? };
            profile_page(&state, &visitor, "Datos guardados.".into(), String::new()).await
        }
        Err(e) => profile_page(&state, &visitor, String::new(), message(&e)).await,
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_redirect("/perfil")) };
    let (_, hash) = state.store.credentials(&u.email).await?.ok_or(ApiError::LoginRequired)?;
    if !accounts::verify_password(f.actual.clone(), hash).await {
        return profile_page(&state, &visitor, String::new(), "La contraseña actual no es correcta.".into()).await;
    }
    match accounts::new_password(&f.password, &f.confirmar_password) {
        Ok(password) => {
            state.store.update_password(u.id, &accounts::hash_password(password).await?).await?;
            profile_page(&state, &visitor, "Contraseña cambiada.".into(), String::new()).await
        }
        Err(e) => profile_page(&state, &visitor, String::new(), message(&e)).await,
    }
}
