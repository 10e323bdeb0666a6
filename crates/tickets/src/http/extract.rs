//! Extractors that give bad requests this service's error format.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use belgrano_shared::API_KEY_HEADER;
use serde_json::Value;

use super::AppState;
use crate::error::ApiError;

/// Proof that the request carried a valid `X-API-Key`.
pub struct ServiceAuth;

impl FromRequestParts<AppState> for ServiceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts.headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if state.api_keys.verify(presented) { Ok(ServiceAuth) } else { Err(ApiError::Unauthorized) }
    }
}

/// A JSON body as a raw value, for handlers that validate field by field.
/// Wrong content type → 415, too large → 413, malformed → 400.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge),
            Err(rejection) => Err(ApiError::MalformedJson(rejection.body_text())),
        }
    }
}

/// The request id set (or generated) by the request-id layer.
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(128).collect()),
        ))
    }
}

/// Who calls the tickets API: a service with the API key, or a person with
/// a session (the board's `fetch` calls). Session calls that change
/// something must carry the CSRF token in `X-CSRF-Token`.
pub enum DeskAuth {
    Service,
    Dispatcher(crate::users::User),
    Courier(crate::users::User),
}

impl DeskAuth {
    pub fn actor(&self) -> crate::users::Actor {
        match self {
            DeskAuth::Service => crate::users::Actor::Service,
            DeskAuth::Dispatcher(user) | DeskAuth::Courier(user) => crate::users::Actor::from_user(user),
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
        let crate::auth::MaybeUser(user) = crate::auth::MaybeUser::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unavailable(anyhow::anyhow!("session lookup failed")))?;
        let Some(user) = user else {
            return Err(ApiError::Unauthorized);
        };
        let reads_only = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
        if !reads_only && crate::csrf::verify_header(&parts.headers).is_err() {
            return Err(ApiError::Forbidden("Falta el token CSRF o no coincide; recargue la página".into()));
        }
        Ok(match user.role {
            crate::users::Role::Admin => DeskAuth::Dispatcher(user),
            crate::users::Role::Flota => DeskAuth::Courier(user),
        })
    }
}
