//! CSRF protection for every form post and every `fetch` that changes
//! something, the same in both services: a double-submit token.
//!
//! A random token lives in an HttpOnly, `SameSite=Strict` cookie; pages put
//! the same value in a hidden `csrf` field of every form (and in
//! `<meta name="csrf-token">` for `fetch`, which sends it as
//! `X-CSRF-Token`). A request is accepted only if the two match (compared in
//! constant time): another site can make the browser send the cookie, but
//! cannot read it to fill in the field.
//!
//! [`ensure_cookie`] (a middleware on the whole router) gives every request
//! a token ([`CsrfToken`]) and sets the cookie on the first HTML page.
//! Handlers check with [`CsrfForm`] (which parses the form too) or
//! [`verify_header`].

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::session::{CookieSpec, Token};

pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The cookie outlives sessions: a form left open for a day still posts.
pub const CSRF_COOKIE_SECS: i64 = 7 * 24 * 3600;

/// The CSRF cookie of a service (`SameSite=Strict`).
pub fn cookie_spec(name: &'static str, secure: bool) -> CookieSpec {
    CookieSpec { name, same_site: "Strict", max_age_secs: CSRF_COOKIE_SECS, secure }
}

/// The token this request's page must put in its forms (and in its
/// `csrf-token` meta).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The token the browser's cookie carried: what a submission must match.
/// Absent when the token was minted for this request (nothing can match it
/// yet).
#[derive(Debug, Clone)]
struct Expected(String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Without the middleware nothing verifies (forms are refused, never
        // accepted blindly).
        Ok(parts.extensions.get::<CsrfToken>().cloned().unwrap_or(CsrfToken(String::new())))
    }
}

/// Middleware: makes sure the visitor has a token cookie. A new token is
/// sent only with HTML (the only responses that carry forms), and never over
/// a cookie the handler set itself (login rotates it).
pub async fn ensure_cookie(State(cookie): State<CookieSpec>, mut request: Request, next: Next) -> Response {
    let (token, fresh) = match cookie.token(request.headers()) {
        Some(token) => (token, false),
        None => (Token::generate(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.as_str().to_owned()));
    if !fresh {
        request.extensions_mut().insert(Expected(token.as_str().to_owned()));
    }
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let prefix = format!("{}=", cookie.name);
    let handler_set_it =
        response.headers().get_all(header::SET_COOKIE).iter().any(|v| v.as_bytes().starts_with(prefix.as_bytes()));
    if fresh && is_html && !handler_set_it {
        response.headers_mut().append(header::SET_COOKIE, cookie.set(token.as_str()));
    }
    response
}

/// Refused: the token was missing or did not match, or the form could not
/// be read. Each service answers it in its own words
/// ([`FormRejection`]-to-page conversion on its state, see [`CsrfForm`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRejection {
    Csrf,
    /// The body was not a readable form of the expected fields.
    Malformed,
}

/// Checks a submitted token (a form's `csrf` field) against the cookie's;
/// an empty `submitted` falls back to the `X-CSRF-Token` header.
fn verify(expected: Option<&Expected>, headers: &HeaderMap, submitted: &str) -> Result<(), FormRejection> {
    let Some(Expected(expected)) = expected else { return Err(FormRejection::Csrf) };
    let submitted = if submitted.is_empty() {
        headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("")
    } else {
        submitted
    };
    if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) { Ok(()) } else { Err(FormRejection::Csrf) }
}

/// For `fetch` calls: the token in the `X-CSRF-Token` header.
pub fn verify_header(parts: &Parts) -> Result<(), FormRejection> {
    verify(parts.extensions.get::<Expected>(), &parts.headers, "")
}

/// A service's state says how refused forms are answered (a page in the
/// service's own words).
pub trait FormRejections {
    type Rejection: From<FormRejection> + IntoResponse;
}

/// A form post whose CSRF token was checked before anything else, parsed
/// into `T` (which needs no `csrf` field; unknown fields are ignored by
/// serde). A form body is read as `application/x-www-form-urlencoded`; any
/// other body counts as empty (then the header must carry the token).
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: FormRejections + Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = S::Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, S::Rejection> {
        let headers = request.headers().clone();
        let expected = request.extensions().get::<Expected>().cloned();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(request, state).await.map_err(|_| FormRejection::Malformed)?;
        let body: &[u8] = if is_form { &body } else { b"" };
        let TokenField { csrf } = serde_urlencoded::from_bytes(body).unwrap_or(TokenField { csrf: String::new() });
        verify(expected.as_ref(), &headers, &csrf)?;
        Ok(CsrfForm(serde_urlencoded::from_bytes(body).map_err(|_| FormRejection::Malformed)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn matching_tokens_pass_and_others_do_not() {
        let token = Token::generate();
        let cookie = Expected(token.as_str().to_owned());
        let none = HeaderMap::new();
        assert!(verify(Some(&cookie), &none, token.as_str()).is_ok());
        assert!(verify(Some(&cookie), &none, "").is_err());
        assert!(verify(Some(&cookie), &none, Token::generate().as_str()).is_err());
        assert!(verify(None, &none, token.as_str()).is_err(), "a token nobody was sent cannot match");
        let mut with_header = HeaderMap::new();
        with_header.insert(CSRF_HEADER, HeaderValue::from_str(token.as_str()).unwrap());
        assert!(verify(Some(&cookie), &with_header, "").is_ok());
    }
}
