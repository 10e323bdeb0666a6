//! Extractors: the visitor (session, account, cart owner), CSRF-checked
//! forms, service authentication and JSON bodies in this service's error
//! format.

use axum::Form;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use belgrano_shared::API_KEY_HEADER;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::AppState;
use crate::accounts::Usuario;
use crate::cart::CartOwner;
use crate::error::{ApiError, PageError};
use crate::session::Token;

/// The session token the cookie middleware put in the request; `is_new`
/// when the browser sent none (so no session row can exist for it).
#[derive(Clone)]
pub struct SessionToken(pub Token, pub bool);

/// Who is asking: their session, and their account when logged in.
pub struct Visitor {
    pub token: Token,
    pub usuario: Option<Usuario>,
}

impl Visitor {
    pub fn cart_owner(&self) -> CartOwner {
        match &self.usuario {
            Some(u) => CartOwner::Account(u.id),
            None => CartOwner::Guest(self.token.hash()),
        }
    }

    pub fn csrf(&self, state: &AppState) -> String {
        self.token.csrf(state.secret())
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, is_new) = parts
            .extensions
            .get::<SessionToken>()
            .map(|t| (t.0.clone(), t.1))
            .unwrap_or_else(|| (Token::generate(), true));
        // A token minted for this request has no session: skip the lookup.
        let usuario = if is_new { None } else { state.store.session_usuario(&token.hash()).await? };
        Ok(Visitor { token, usuario })
    }
}

/// Form bodies carry the session's CSRF value in a `csrf` field.
pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

/// A form post whose `csrf` field matches the session. Anything else is
/// refused before the handler runs, so nothing changes.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + HasCsrf + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let token = req.extensions().get::<SessionToken>().map(|t| t.0.clone());
        let Form(value) = Form::<T>::from_request(req, state).await.map_err(|_| PageError(ApiError::BadForm))?;
        match token {
            Some(token) if token.verify_csrf(state.secret(), value.csrf()) => Ok(CsrfForm(value)),
            _ => Err(PageError(ApiError::Csrf)),
        }
    }
}

/// Declares form structs (every field a defaulted string, plus `csrf`).
macro_rules! form {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            pub csrf: String,
            $(pub $field: String,)*
        }
        impl $crate::http::extract::HasCsrf for $name {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    };
}
pub(crate) use form;

/// Proof that the request carried a valid `X-API-Key`.
pub struct ServiceAuth;

impl FromRequestParts<AppState> for ServiceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts.headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if state.settings.api_keys.verify(presented) { Ok(ServiceAuth) } else { Err(ApiError::Unauthorized) }
    }
}

/// A JSON body as a raw value, validated field by field by the handler.
/// Wrong content type → 415, too large → 413, malformed → 400.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge),
            Err(_) => Err(ApiError::MalformedJson),
        }
    }
}

/// Whether the client prefers JSON (the add-to-cart script does).
pub fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}
