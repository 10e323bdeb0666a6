//! The one error type of the HTTP surface. Each variant maps to a status
//! and a JSON body in Spanish; internal failures are logged in full and
//! answered with a generic message, never with SQL or exception text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use belgrano_contract::FieldError;
use belgrano_platform::http::{BodyRejection, Unauthorized};
use serde_json::json;

use crate::domain::change::ChangeError;
use crate::intake::IntakeError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("API key inválida")]
    Unauthorized,
    #[error("{0}")]
    Validation(FieldError),
    #[error("JSON mal formado: {0}")]
    MalformedJson(String),
    #[error("el cuerpo debe ser JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("el cuerpo supera el máximo de 1 MiB")]
    PayloadTooLarge,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("el pedido {numero} ya existe con otros datos; no se modificó nada")]
    IdempotencyConflict { numero: String },
    #[error("{0}")]
    Forbidden(String),
    /// The change does not fit the ticket as it is now (409), `campo` the
    /// field that asked for it.
    #[error("{message}")]
    Conflict { campo: &'static str, message: String },
    #[error("servicio no disponible")]
    Unavailable(#[source] anyhow::Error),
    #[error("error interno")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Unavailable(e.into())
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        ApiError::Unavailable(e.into())
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::NotFound => ApiError::NotFound("ticket no encontrado"),
            ChangeError::Forbidden(why) => ApiError::Forbidden(why.to_owned()),
            ChangeError::InvalidTransition { .. } | ChangeError::Final(_) | ChangeError::IntentoNoEnCamino(_) => {
                ApiError::Conflict { campo: "estado", message: e.to_string() }
            }
            ChangeError::UnknownCourier => ApiError::Validation(FieldError::new("repartidor_id", e.to_string())),
            ChangeError::MotivoRequerido => ApiError::Validation(FieldError::new("motivo", e.to_string())),
            // The API asks for an estado or a repartidor (or answers 400); a
            // change that changes nothing asked for the courier the ticket
            // already has, as asking for its own estado is a 409 too.
            ChangeError::NothingToChange => ApiError::Conflict {
                campo: "repartidor_id",
                message: "El ticket ya tiene ese repartidor: no se pidió ningún cambio".to_owned(),
            },
            ChangeError::Invalid(field) => ApiError::Validation(field),
            ChangeError::Store(e) => e.into(),
        }
    }
}

impl From<BodyRejection> for ApiError {
    fn from(e: BodyRejection) -> Self {
        match e {
            BodyRejection::UnsupportedMediaType => ApiError::UnsupportedMediaType,
            BodyRejection::TooLarge => ApiError::PayloadTooLarge,
            BodyRejection::Malformed(detail) => ApiError::MalformedJson(detail),
        }
    }
}

impl From<Unauthorized> for ApiError {
    fn from(_: Unauthorized) -> Self {
        ApiError::Unauthorized
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Validation(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            // Exactly the old contract's body.
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, json!({"error": "API key inválida"})),
            ApiError::Validation(e) => (
                StatusCode::BAD_REQUEST,
                json!({"exito": false, "error": format!("Dato inválido en '{}': {}", e.field, e.message), "campo": e.field, "detalle": e.message}),
            ),
            ApiError::MalformedJson(_) => {
                (StatusCode::BAD_REQUEST, json!({"exito": false, "error": self.to_string(), "campo": "body"}))
            }
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({"exito": false, "error": self.to_string(), "campo": "Content-Type"}),
            ),
            ApiError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, json!({"exito": false, "error": self.to_string(), "campo": "body"}))
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, json!({"exito": false, "error": self.to_string()})),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, json!({"exito": false, "error": self.to_string()})),
            ApiError::Conflict { campo, .. } => {
                (StatusCode::CONFLICT, json!({"exito": false, "error": self.to_string(), "campo": campo}))
            }
            ApiError::IdempotencyConflict { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"exito": false, "error": self.to_string(), "campo": "numero"}),
            ),
            ApiError::Unavailable(source) => {
                tracing::error!(error = ?source, "request failed: a dependency is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"exito": false, "error": "Servicio no disponible momentáneamente; reintente."}),
                )
            }
            ApiError::Internal(source) => {
                tracing::error!(error = ?source, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({"exito": false, "error": "Error interno"}))
            }
        };
        (status, Json(body)).into_response()
    }
}
