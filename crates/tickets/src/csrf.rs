//! CSRF protection for every form post: a double-submit token.
//!
//! A random token lives in an HttpOnly, `SameSite=Strict` cookie
//! ([`CSRF_COOKIE`]); pages put the same value in a hidden `csrf` field of
//! every form (and in `<meta name="csrf-token">` for `fetch`, which sends it
//! as `X-CSRF-Token`). A post is accepted only if the two match (compared in
//! constant time): another site can make the browser send the cookie, but
//! cannot read it to fill in the field.
//!
//! [`ensure_cookie`] (a middleware on the whole router) gives every request
//! a token ([`CsrfToken`] extractor) and sets the cookie on the first HTML
//! page. Handlers check with [`CsrfForm`] (parses the form too) or
//! [`verify`] / [`verify_header`].

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::auth::{cookie_value, new_token, set_cookie};
use crate::http::AppState;
use crate::http::page::PageError;

pub const CSRF_COOKIE: &str = "belgrano_csrf";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The cookie outlives sessions: a form left open for a day still posts.
const CSRF_COOKIE_SECS: i64 = 7 * 24 * 3600;

/// The token this request's page must put in its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The middleware always sets it; the fallback keeps a router without
        // it working (forms will then be refused, never accepted blindly).
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or_else(|| CsrfToken(current_cookie(&parts.headers).unwrap_or_default())))
    }
}

/// A well-formed token from the cookie (64 hex characters).
fn current_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, CSRF_COOKIE).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `Set-Cookie` for a token.
pub fn cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(CSRF_COOKIE, token, "Strict", CSRF_COOKIE_SECS, secure)
}

/// Middleware: makes sure the visitor has a token cookie. A new token is
/// sent only with HTML (the only responses that carry forms), and never over
/// a cookie the handler set itself (login rotates it).
pub async fn ensure_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (token, fresh) = match current_cookie(request.headers()) {
        Some(token) => (token, false),
        None => (new_token(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let handler_set_it = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(format!("{CSRF_COOKIE}=").as_bytes()));
    if fresh && is_html && !handler_set_it {
        let secure = state.settings.environment.is_production();
        response.headers_mut().append(header::SET_COOKIE, cookie(&token, secure));
    }
    response
}

/// Refused: the token was missing or did not match.
#[derive(Debug)]
pub struct CsrfRejected;

impl From<CsrfRejected> for PageError {
    fn from(_: CsrfRejected) -> Self {
        PageError::Csrf
    }
}

impl axum::response::IntoResponse for CsrfRejected {
    fn into_response(self) -> Response {
        PageError::Csrf.into_response()
    }
}

/// Checks a submitted token (a form's `csrf` field) against the cookie; an
/// empty `submitted` falls back to the `X-CSRF-Token` header.
pub fn verify(headers: &HeaderMap, submitted: &str) -> Result<(), CsrfRejected> {
    let expected = current_cookie(headers).ok_or(CsrfRejected)?;
    let submitted = if submitted.is_empty() {
        headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("")
    } else {
        submitted
    };
    if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) { Ok(()) } else { Err(CsrfRejected) }
}

/// For `fetch` calls: the token in the `X-CSRF-Token` header.
pub fn verify_header(headers: &HeaderMap) -> Result<(), CsrfRejected> {
    verify(headers, "")
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
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, PageError> {
        let headers = request.headers().clone();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| PageError::BadRequest("El formulario no se pudo leer.".into()))?;
        let body: &[u8] = if is_form { &body } else { b"" };
        let TokenField { csrf } = serde_urlencoded::from_bytes(body).unwrap_or(TokenField { csrf: String::new() });
        verify(&headers, &csrf)?;
        serde_urlencoded::from_bytes(body)
            .map(CsrfForm)
            .map_err(|_| PageError::BadRequest("El formulario llegó incompleto o con datos inválidos.".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str, header_token: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        if let Some(t) = header_token {
            h.insert(CSRF_HEADER, HeaderValue::from_str(t).unwrap());
        }
        h
    }

    #[test]
    fn matching_tokens_pass_and_others_do_not() {
        let token = new_token();
        let h = headers(&format!("{CSRF_COOKIE}={token}"), None);
        assert!(verify(&h, &token).is_ok());
        assert!(verify(&h, "").is_err());
        assert!(verify(&h, &new_token()).is_err());
        assert!(verify(&headers("x=1", None), &token).is_err());
        let with_header = headers(&format!("{CSRF_COOKIE}={token}"), Some(&token));
        assert!(verify_header(&with_header).is_ok());
        // A short cookie is not a token, even if the field repeats it.
        assert!(verify(&headers(&format!("{CSRF_COOKIE}=abc"), None), "abc").is_err());
    }
}
