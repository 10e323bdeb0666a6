//! The one error type of each surface: [`ApiError`] for the JSON API
//! (`{"success": false, "error", "campo"}`; the service key's refusal is
//! exactly the old contract's `{"error": "API key inválida"}`), and
//! [`PageError`], the same errors as a small Spanish page for browsers.
//! Internal failures are logged in full and answered with a generic
//! message, never with SQL or exception text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::FormRejection;
use belgrano_platform::http::{BodyRejection, Unauthorized};
use serde_json::json;

use crate::checkout::CheckoutError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("API key inválida")]
    Unauthorized,
    #[error("Dato inválido en '{}': {}", .0.field, .0.message)]
    Validation(FieldError),
    #[error("JSON mal formado")]
    MalformedJson,
    #[error("El formulario no es válido")]
    BadForm,
    #[error("el cuerpo debe ser JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("el cuerpo es demasiado grande")]
    PayloadTooLarge,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("Tenés que iniciar sesión")]
    LoginRequired,
    #[error("El formulario venció: recargá la página y probá de nuevo")]
    Csrf,
    /// A JSON call that changes something without the page's token in
    /// `X-CSRF-Token` (or with another one).
    #[error("Falta el encabezado X-CSRF-Token o no coincide con la sesión")]
    CsrfHeader,
    /// Logged in, but this account may not do that (a customer in the back
    /// office, an encargado managing staff).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request is valid but the state forbids it (the last active admin
    /// cannot be demoted); names the field.
    #[error("{}", .0.message)]
    Conflict(FieldError),
    #[error("El servicio no está disponible en este momento; probá de nuevo en unos minutos")]
    Unavailable(#[source] anyhow::Error),
    /// A handler panicked (logged where it was caught).
    #[error("Algo falló de nuestro lado; probá de nuevo")]
    Internal,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Unavailable(e.into())
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Validation(e)
    }
}

impl From<CheckoutError> for ApiError {
    fn from(e: CheckoutError) -> Self {
        match e {
            CheckoutError::Invalid(f) => ApiError::Validation(f),
            CheckoutError::Conflict(f) => ApiError::Conflict(f),
            CheckoutError::Store(s) => s.into(),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Unavailable(e)
    }
}

/// A JSON body refused by the platform's extractor.
impl From<BodyRejection> for ApiError {
    fn from(rejection: BodyRejection) -> Self {
        match rejection {
            BodyRejection::UnsupportedMediaType => ApiError::UnsupportedMediaType,
            BodyRejection::TooLarge => ApiError::PayloadTooLarge,
            BodyRejection::Malformed(detail) => {
                // serde's words, for developers; the client gets no parser internals.
                tracing::debug!(%detail, "JSON mal formado");
                ApiError::MalformedJson
            }
        }
    }
}

impl From<Unauthorized> for ApiError {
    fn from(_: Unauthorized) -> Self {
        ApiError::Unauthorized
    }
}

/// A form post refused by the platform's CSRF check.
impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        match rejection {
            FormRejection::Csrf => ApiError::Csrf,
            FormRejection::Malformed => ApiError::BadForm,
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::LoginRequired => StatusCode::UNAUTHORIZED,
            ApiError::Validation(_) | ApiError::MalformedJson | ApiError::BadForm => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Csrf | ApiError::CsrfHeader | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        if let ApiError::Unavailable(source) = self {
            tracing::error!(error = ?source, "request failed");
        }
    }

    /// The same error as a page, for browsers.
    pub fn page(self) -> Response {
        self.log();
        let status = self.status();
        let body = format!(
            "<!doctype html><html lang=\"es-AR\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <link rel=\"stylesheet\" href=\"/static/app.css\"><title>Belgrano Ahorro</title>\
             <main class=\"wrap\"><h1>{}</h1><p>{}</p><p><a href=\"/\">Volver al inicio</a></p></main></html>",
            status.as_u16(),
            html_escape(&self.to_string())
        );
        (status, Html(body)).into_response()
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let body = match &self {
            // Exactly the old contract's body.
            ApiError::Unauthorized => json!({"error": "API key inválida"}),
            ApiError::Validation(e) => {
                json!({"success": false, "error": self.to_string(), "campo": e.field, "detalle": e.message})
            }
            ApiError::MalformedJson | ApiError::BadForm | ApiError::PayloadTooLarge => {
                json!({"success": false, "error": self.to_string(), "campo": "body"})
            }
            ApiError::UnsupportedMediaType => {
                json!({"success": false, "error": self.to_string(), "campo": "Content-Type"})
            }
            ApiError::CsrfHeader => json!({"success": false, "error": self.to_string(), "campo": "X-CSRF-Token"}),
            ApiError::Conflict(e) => json!({"success": false, "error": self.to_string(), "campo": e.field}),
            _ => json!({"success": false, "error": self.to_string()}),
        };
        (status, Json(body)).into_response()
    }
}

/// An error answered as a page (for browser routes).
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.page()
    }
}

/// What a panicking handler answers (the platform's outer layer caught
/// it): the JSON error for API calls, the error page otherwise.
pub fn on_panic(json: bool) -> Response {
    if json { ApiError::Internal.into_response() } else { ApiError::Internal.page() }
}
