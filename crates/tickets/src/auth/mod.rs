//! Who is asking: login sessions and the extractors pages use.
//!
//! A session is a random 32-byte token in an HttpOnly cookie
//! ([`SESSION_COOKIE`]); the database keeps only its SHA-256 with a fixed
//! expiry of [`SESSION_HOURS`] from login (one work shift; no sliding, so a
//! stolen cookie dies at the latest by then). Every login makes a new
//! token; logout, deactivation and password changes delete them.
//!
//! Extractors: [`CurrentUser`] (any active account), [`DispatcherUser`]
//! (role `admin`), [`CourierUser`] (role `flota`), [`MaybeUser`]. An
//! anonymous visitor is redirected to `/login?next=...`; a logged-in person
//! without the role gets a 403 page.

pub mod bootstrap;
pub mod input;
pub mod login;
pub mod password;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::http::AppState;
use crate::http::page::PageError;
use crate::store::StoreError;
use crate::users::{Role, User};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "belgrano_sesion";
/// Lifetime of a session, from login.
pub const SESSION_HOURS: i64 = 12;

/// A fresh random token: 32 bytes from the OS-seeded CSPRNG, hex-encoded.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The session token a request carries, if any. Socket.IO authenticates
/// browser connections with it (then [`crate::store::Store::user_by_session_token`]).
pub fn session_token_from_headers(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// `Set-Cookie` for a cookie only the server reads.
pub fn set_cookie(name: &str, value: &str, same_site: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are hex")
}

pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, token, "Lax", SESSION_HOURS * 3600, secure)
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", "Lax", 0, secure)
}

/// Where a person lands after logging in.
pub fn home_of(user: &User) -> &'static str {
    match user.role {
        Role::Admin => "/panel",
        Role::Flota => "/repartidor",
    }
}

/// `next` if it is a path on this site (never another host: no `//` or
/// `/\` that browsers read as one).
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control())
        && next.len() <= 1000;
    ok.then(|| next.to_owned())
}

/// The logged-in user, or `None`. Looked up once per request.
pub struct MaybeUser(pub Option<User>);

/// Cached lookup result in the request's extensions.
#[derive(Clone)]
struct SessionLookup(Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeUser(lookup(parts, state).await?))
    }
}

async fn lookup(parts: &mut Parts, state: &AppState) -> Result<Option<User>, StoreError> {
    if let Some(SessionLookup(user)) = parts.extensions.get::<SessionLookup>() {
        return Ok(user.clone());
    }
    let user = match session_token_from_headers(&parts.headers) {
        Some(token) => state.store.user_by_session_token(&token).await?,
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
    Unavailable(StoreError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Login { next: Some(next) } => {
                Redirect::to(&format!("/login?next={}", crate::http::views::url_encode(&next))).into_response()
            }
            AuthRejection::Login { next: None } => Redirect::to("/login").into_response(),
            AuthRejection::Forbidden(why) => PageError::Forbidden(why.to_owned()).into_response(),
            AuthRejection::Unavailable(e) => PageError::from(e).into_response(),
        }
    }
}

async fn logged_in(parts: &mut Parts, state: &AppState) -> Result<User, AuthRejection> {
    let user = lookup(parts, state).await.map_err(AuthRejection::Unavailable)?;
    user.ok_or_else(|| AuthRejection::Login {
        // Only a page can be returned to; a form post cannot be replayed.
        next: (parts.method == Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned()),
    })
}

/// Any logged-in, active account.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        logged_in(parts, state).await.map(CurrentUser)
    }
}

/// A logged-in dispatcher (role `admin`).
pub struct DispatcherUser(pub User);

impl FromRequestParts<AppState> for DispatcherUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let user = logged_in(parts, state).await?;
        match user.role {
            Role::Admin => Ok(DispatcherUser(user)),
            Role::Flota => Err(AuthRejection::Forbidden("Esta página es sólo para despacho.")),
        }
    }
}

/// A logged-in courier (role `flota`).
pub struct CourierUser(pub User);

impl FromRequestParts<AppState> for CourierUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let user = logged_in(parts, state).await?;
        match user.role {
            Role::Flota => Ok(CourierUser(user)),
            Role::Admin => Err(AuthRejection::Forbidden("Esta página es sólo para repartidores.")),
        }
    }
}

/// The client's address, for login rate limiting: the TCP peer, or in
/// production the last `X-Forwarded-For` entry (Render's proxy appends the
/// address it saw; earlier entries are whatever the client sent).
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.settings.environment.is_production())))
    }
}

fn client_address(parts: &Parts, behind_proxy: bool) -> String {
    if behind_proxy {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
        .unwrap_or_else(|| "desconocida".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/panel?estado=pendiente").as_deref(), Some("/panel?estado=pendiente"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "panel", ""] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_cookies_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; belgrano_sesion=abc; b=2"));
        assert_eq!(session_token_from_headers(&headers).as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("belgrano_sesion="));
        assert_eq!(session_token_from_headers(&headers), None);
    }

    #[test]
    fn the_last_forwarded_address_counts_only_behind_the_proxy() {
        let request = axum::http::Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 10.0.0.1")
            .header("x-forwarded-for", "203.0.113.9")
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))))
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        assert_eq!(client_address(&parts, true), "203.0.113.9");
        assert_eq!(client_address(&parts, false), "127.0.0.1");
    }
}
