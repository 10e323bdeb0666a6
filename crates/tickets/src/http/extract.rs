//! Extractors that give bad requests this service's error format.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use belgrano_shared::API_KEY_HEADER;
use serde_json::Value;

use super::AppState;
use crate::error::ApiError;

/// Proof that the request carried a valid `X-API-Key`.
pub struct ServiceAuth;

impl ServiceAuth {
    /// Changes made with the API key are the system's.
    pub fn actor(&self) -> crate::users::Actor {
        crate::users::Actor::Service
    }
}

impl FromRequestParts<AppState> for ServiceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts.headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if state.api_keys.verify(presented) {
            Ok(ServiceAuth)
        } else {
            Err(ApiError::Unauthorized)
        }
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
