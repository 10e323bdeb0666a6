//! Who is asking: the visitor's token (from the platform's
//! `visitor_token` layer), their account when logged in, and the CSRF
//! token their page must carry (from the platform's `csrf` layer).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use belgrano_platform::csrf::CsrfToken;
use belgrano_platform::session::{Token, VisitorToken};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::carrito::{Carrito, CarritoOwner};
use crate::domain::usuario::Usuario;
use crate::store::{Store, StoreError};

pub struct Visitor {
    pub token: Token,
    pub usuario: Option<Usuario>,
    /// The token for this page's forms and `fetch` calls.
    pub csrf: String,
    /// The token was minted for this request (no cookie came): nothing is
    /// stored under it yet.
    pub token_nuevo: bool,
}

impl Visitor {
    pub fn carrito_owner(&self) -> CarritoOwner {
        match &self.usuario {
            Some(u) => CarritoOwner::Account(u.id),
            None => CarritoOwner::Guest(self.token.hash()),
        }
    }

    pub fn is_guest(&self) -> bool {
        self.usuario.is_none()
    }

    /// The cart pages show. A first visit has none, so it is not looked
    /// up; a handler that saves a cart must read it back from the store.
    pub async fn carrito(&self, store: &Store) -> Result<Carrito, StoreError> {
        if self.token_nuevo && self.usuario.is_none() {
            return Ok(Carrito::default());
        }
        store.carrito(&self.carrito_owner()).await
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let VisitorToken { token, is_new } = parts
            .extensions
            .get::<VisitorToken>()
            .cloned()
            .unwrap_or_else(|| VisitorToken { token: Token::generate(), is_new: true });
        // A token minted for this request has no session: skip the lookup.
        let usuario = if is_new { None } else { state.accounts.usuario(&token).await? };
        let Ok(CsrfToken(csrf)) = CsrfToken::from_request_parts(parts, state).await;
        Ok(Visitor { token, usuario, csrf, token_nuevo: is_new })
    }
}

/// A form whose only field is its CSRF token (logout, empty the cart,
/// repeat an order).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}
