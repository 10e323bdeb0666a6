//! Web plumbing both services share: the router's outer layers, the JSON
//! body extractor, service authentication by API key, the client's
//! address, and where a login may send someone back to.
//!
//! Each service keeps its own error type (its JSON shape is part of its
//! contract: Tickets answers `"exito": false`, Ahorro `"success": false`);
//! the extractors here reject with it, through the state's [`Surface`].

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use belgrano_contract::API_KEY_HEADER;

use crate::api_key::ApiKeys;

/// What a service's state tells the shared extractors.
pub trait Surface: Send + Sync {
    /// The service's API error: how a bad body or a wrong key is answered.
    type ApiError: From<BodyRejection> + From<Unauthorized> + axum::response::IntoResponse;

    /// The keys `X-API-Key` is checked against.
    fn api_keys(&self) -> &ApiKeys;

    /// Behind Render's proxy the client's address is the last
    /// `X-Forwarded-For` entry; elsewhere it is the TCP peer.
    fn behind_proxy(&self) -> bool;
}

/// Why a JSON body was refused, before any field was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRejection {
    /// Not `Content-Type: application/json` (415).
    UnsupportedMediaType,
    /// Over the service's body limit (413).
    TooLarge,
    /// Not JSON, or not of the expected shape (400); the detail is for logs
    /// and developers, in English as serde words it.
    Malformed(String),
}

/// A JSON body, in the service's error format when it is refused.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Surface,
    T: DeserializeOwned,
{
    type Rejection = S::ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, S::ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(BodyRejection::UnsupportedMediaType.into()),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(BodyRejection::TooLarge.into())
            }
            Err(rejection) => Err(BodyRejection::Malformed(rejection.body_text()).into()),
        }
    }
}

/// A request without a valid `X-API-Key`. Both services answer it exactly
/// as the old contract did: 401 `{"error": "API key inválida"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unauthorized;

/// Proof that the request carried a valid `X-API-Key`.
pub struct ServiceAuth;

impl<S: Surface> FromRequestParts<S> for ServiceAuth {
    type Rejection = S::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, S::ApiError> {
        let presented = parts.headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if state.api_keys().verify(presented) { Ok(ServiceAuth) } else { Err(Unauthorized.into()) }
    }
}

/// The request id set (or generated) by the request-id layer, at most 128
/// characters.
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(128).collect()),
        ))
    }
}

/// The client's address, for rate limits: the TCP peer, or behind the
/// proxy the last `X-Forwarded-For` entry (Render's proxy appends the
/// address it saw; earlier entries are whatever the client sent).
pub struct ClientAddress(pub String);

impl<S: Surface> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.behind_proxy())))
    }
}

pub fn client_address(parts: &Parts, behind_proxy: bool) -> String {
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

/// `next` if it is a path on this site (never another host: no `//`, no
/// backslash, which browsers read as a slash, no control characters).
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control())
        && next.len() <= 1000;
    ok.then(|| next.to_owned())
}

/// Whether the client prefers JSON (scripts, the pages' `fetch` calls).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

/// Percent-encodes for a URL query value (`application/x-www-form-urlencoded`:
/// a space becomes `+`).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The limits of the outer layers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted request body.
    pub body_bytes: usize,
    /// A request still running after this answers 503.
    pub timeout: Duration,
}

/// How a service answers a handler that panicked: a JSON 500 for API
/// calls, a page for people. Nothing of the panic reaches the client.
pub type PanicAnswer = fn(json: bool) -> Response;

/// The outer layers every router gets, outermost last: a request id (set or
/// kept, echoed back), a trace span carrying it, the timeout, the body
/// limit, and a panic turned into a 500 answer (instead of a reset
/// connection).
pub fn with_standard_layers(router: Router, limits: Limits, on_panic: PanicAnswer) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| catch_panic(on_panic, request, next)))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn catch_panic(on_panic: PanicAnswer, request: Request, next: Next) -> Response {
    let json = request.uri().path().starts_with("/api/") || wants_json(request.headers());
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a handler panicked");
            on_panic(json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/panel?estado=pendiente").as_deref(), Some("/panel?estado=pendiente"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "panel", "", "/a\nb"] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
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
