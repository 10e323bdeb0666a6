//! What every HTML page shares: the layout's data and the error page.
//!
//! Every page template extends `templates/base.html`, which reads two
//! fields of the page's struct: `csrf: String` (the token for forms and the
//! `csrf-token` meta) and `usuario: Option<Usuario>` (the navigation and the
//! logout button; `None` on anonymous pages).

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use belgrano_platform::csrf::FormRejection;

use crate::domain::usuario::Usuario;
use crate::store::StoreError;
use crate::store::accounts::AccountError;

/// A page that could not be shown. People see a Spanish page, never the
/// internal error (that goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("el token CSRF falta o no coincide")]
    Csrf,
    #[error("servicio no disponible")]
    Unavailable(#[source] anyhow::Error),
    /// A bug (a handler panicked): logged where it happened.
    #[error("error interno")]
    Internal,
}

impl From<FormRejection> for PageError {
    fn from(e: FormRejection) -> Self {
        match e {
            FormRejection::Csrf => PageError::Csrf,
            FormRejection::Malformed => {
                PageError::BadRequest("El formulario llegó incompleto o con datos inválidos.".into())
            }
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Unavailable(e.into())
    }
}

impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken | AccountError::LastAdmin => PageError::BadRequest(e.to_string()),
            AccountError::NotFound => PageError::NotFound("La cuenta no existe.".into()),
            AccountError::Store(e) => e.into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub csrf: String,
    pub usuario: Option<Usuario>,
    pub titulo: &'static str,
    pub mensaje: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, titulo, mensaje) = match self {
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Datos inválidos", m),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "Sin permiso", m),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "No encontrado", m),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulario vencido",
                "El formulario venció o no vino de esta página, y no se guardó nada. \
                 Vuelva atrás, recargue la página e intente de nuevo."
                    .to_owned(),
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error interno",
                "Algo falló de nuestro lado y no se guardó nada. Intente de nuevo; si se repite, avise a sistemas."
                    .to_owned(),
            ),
            PageError::Unavailable(e) => {
                tracing::error!(error = ?e, "page failed: a dependency is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Servicio no disponible",
                    "El servicio no está disponible en este momento. Intente de nuevo en unos segundos.".to_owned(),
                )
            }
        };
        (status, ErrorPage { csrf: String::new(), usuario: None, titulo, mensaje }).into_response()
    }
}
