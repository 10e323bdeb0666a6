//! Who is asking, as extractors: [`CurrentUser`] (any active account),
//! [`DispatcherUser`] (role `admin`), [`CourierUser`] (role `flota`),
//! [`MaybeUser`] for pages, and [`DeskAuth`] for the tickets API (the API
//! key or a session). An anonymous visitor of a page is redirected to
//! `/login?next=...`; a logged-in person without the role gets a 403 page.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::API_KEY_HEADER;
use belgrano_platform::http::{ServiceAuth, url_encode};
use belgrano_platform::session::Token;

use super::AppState;
use super::error::ApiError;
use super::page::PageError;
use crate::accounts::session_cookie;
use crate::domain::usuario::{Actor, Role, Usuario};
use crate::store::StoreError;

/// Where a person lands after logging in.
pub fn home_of(user: &Usuario) -> &'static str {
    match user.role {
        Role::Admin | Role::Despacho => "/panel",
        Role::Flota => "/repartidor",
    }
}

/// The session token the request's cookie carries, if well formed (it may
/// name no live session).
pub struct SessionToken(pub Option<Token>);

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The cookie's `Secure` attribute does not matter for reading it.
        Ok(SessionToken(session_cookie(false).token(&parts.headers)))
    }
}

/// The logged-in user, or `None`. Looked up once per request.
pub struct MaybeUser(pub Option<Usuario>);

/// Cached lookup result in the request's extensions.
#[derive(Clone)]
struct SessionLookup(Option<Usuario>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeUser(lookup(parts, state).await?))
    }
}

async fn lookup(parts: &mut Parts, state: &AppState) -> Result<Option<Usuario>, StoreError> {
    if let Some(SessionLookup(user)) = parts.extensions.get::<SessionLookup>() {
        return Ok(user.clone());
    }
    let SessionToken(token) = SessionToken::from_request_parts(parts, state).await.unwrap_or(SessionToken(None));
    let user = match token {
        Some(token) => state.accounts.usuario_of(&token).await?,
        None => None,
    };
    parts.extensions.insert(SessionLookup(user.clone()));
    Ok(user)
}

/// Why a page refused someone.
#[derive(Debug)]
pub enum AuthRejection {
    /// Anonymous: log in first, then come back to `next`.
    Login {
        next: Option<String>,
    },
    /// Logged in without the needed role.
    Forbidden(&'static str),
    /// Logged in, but meant their own page (a courier opening `/panel`).
    Elsewhere(&'static str),
    Unavailable(StoreError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Login { next: Some(next) } => {
                Redirect::to(&format!("/login?next={}", url_encode(&next))).into_response()
            }
            AuthRejection::Login { next: None } => Redirect::to("/login").into_response(),
            AuthRejection::Forbidden(why) => PageError::Forbidden(why.to_owned()).into_response(),
            AuthRejection::Elsewhere(home) => Redirect::to(home).into_response(),
            AuthRejection::Unavailable(e) => PageError::from(e).into_response(),
        }
    }
}

async fn logged_in(parts: &mut Parts, state: &AppState) -> Result<Usuario, AuthRejection> {
    let user = lookup(parts, state).await.map_err(AuthRejection::Unavailable)?;
    user.ok_or_else(|| AuthRejection::Login {
        // Only a page can be returned to; a form post cannot be replayed.
        next: (parts.method == Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned()),
    })
}

/// Any logged-in, active account.
pub struct CurrentUser(pub Usuario);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        logged_in(parts, state).await.map(CurrentUser)
    }
}

/// A logged-in dispatcher (role `admin`).
pub struct DispatcherUser(pub Usuario);

impl FromRequestParts<AppState> for DispatcherUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let user = logged_in(parts, state).await?;
        match user.role {
            Role::Admin | Role::Despacho => Ok(DispatcherUser(user)),
            // The old habit: a courier opening the board meant their own page.
            Role::Flota if parts.uri.path() == "/panel" => Err(AuthRejection::Elsewhere(home_of(&user))),
            Role::Flota => Err(AuthRejection::Forbidden("Esta página es sólo para despacho.")),
        }
    }
}

/// A logged-in courier (role `flota`).
pub struct CourierUser(pub Usuario);

impl FromRequestParts<AppState> for CourierUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let user = logged_in(parts, state).await?;
        match user.role {
            Role::Flota => Ok(CourierUser(user)),
            Role::Admin | Role::Despacho => Err(AuthRejection::Forbidden("Esta página es sólo para repartidores.")),
        }
    }
}

/// Who calls the tickets API: a service with the API key, or a person with
/// a session (the board's `fetch` calls). Session calls that change
/// something must carry the CSRF token in `X-CSRF-Token`.
pub enum DeskAuth {
    Service,
    Dispatcher(Usuario),
    Courier(Usuario),
}

impl DeskAuth {
    pub fn actor(&self) -> Actor {
        match self {
            DeskAuth::Service => Actor::Service,
            DeskAuth::Dispatcher(user) | DeskAuth::Courier(user) => Actor::from_user(user),
        }
    }

    /// The courier whose tickets alone this caller may see, if any.
    pub fn courier_scope(&self) -> Option<i64> {
        match self {
            DeskAuth::Courier(user) => Some(user.id),
            DeskAuth::Service | DeskAuth::Dispatcher(_) => None,
        }
    }

    /// Dispatcher-level access (the service key or a dispatcher session).
    pub fn require_desk(&self) -> Result<(), ApiError> {
        match self {
            DeskAuth::Courier(_) => Err(ApiError::Forbidden("Sólo para despacho".into())),
            DeskAuth::Service | DeskAuth::Dispatcher(_) => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for DeskAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(API_KEY_HEADER) {
            return ServiceAuth::from_request_parts(parts, state).await.map(|_| DeskAuth::Service);
        }
        let Some(user) = lookup(parts, state).await? else {
            return Err(ApiError::Unauthorized);
        };
        let reads_only = matches!(parts.method, Method::GET | Method::HEAD);
        if !reads_only && belgrano_platform::csrf::verify_header(parts).is_err() {
            return Err(ApiError::Forbidden("Falta el token CSRF o no coincide; recargue la página".into()));
        }
        Ok(match user.role {
            Role::Admin | Role::Despacho => DeskAuth::Dispatcher(user),
            Role::Flota => DeskAuth::Courier(user),
        })
    }
}
