//! What every handler can reach, and what the platform's extractors learn
//! from it: the service keys, whether requests come through Render's proxy,
//! how refused forms are answered.

use std::sync::Arc;

use belgrano_platform::api_key::ApiKeys;
use belgrano_platform::csrf::FormRejections;
use belgrano_platform::http::Surface;
use belgrano_platform::outbox::Waker;
use belgrano_platform::session::CookieSpec;

use super::error::{ApiError, PageError};
use crate::accounts::{Accounts, SESSION_SECS};
use crate::checkout::CheckoutService;
use crate::config::Settings;
use crate::paquetes::Paquetes;
use crate::store::Store;
use crate::tickets_client::TicketsClient;
use crate::tracking::Novedades;

/// The session cookie: the visitor's token (a guest's cart, a login).
pub const SESSION_COOKIE: &str = "ahorro_sesion";
/// The CSRF cookie (the platform's double-submit token).
pub const CSRF_COOKIE: &str = "ahorro_csrf";

/// What every handler can reach. Shared behind one `Arc`: axum clones the
/// state for every request, and a clone of the parts (pools, outboxes,
/// settings) was a dozen atomic counts per request on both cores.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppStateInner {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub accounts: Accounts,
    pub checkout: CheckoutService,
    /// Wakes the outbox worker (a parked delivery put back in the queue).
    pub outbox_worker: Waker,
    /// Wakes the mail worker (a mail queued or put back).
    pub mail_worker: Waker,
    pub tickets: TicketsClient,
    /// Orders whose ticket changed, for the live tracking streams.
    pub novedades: Novedades,
    /// Merchants' bundles ("Pedir ahora"; the scheduler runs beside).
    pub paquetes: Paquetes,
}

impl AppState {
    pub fn secret(&self) -> &[u8] {
        self.settings.secret_key.as_bytes()
    }

    /// `ahorro_sesion`: 30 days, HttpOnly, `SameSite=Lax` (a link from
    /// another site arrives logged in), `Secure` in production.
    pub fn session_cookie(&self) -> CookieSpec {
        session_cookie(self.settings.secure_cookies())
    }
}

pub fn session_cookie(secure: bool) -> CookieSpec {
    CookieSpec { name: SESSION_COOKIE, same_site: "Lax", max_age_secs: SESSION_SECS, secure }
}

/// `ahorro_csrf`: the platform's (`SameSite=Strict`, HttpOnly).
pub fn csrf_cookie(secure: bool) -> CookieSpec {
    belgrano_platform::csrf::cookie_spec(CSRF_COOKIE, secure)
}

impl Surface for AppState {
    type ApiError = ApiError;

    fn api_keys(&self) -> &ApiKeys {
        &self.settings.api_keys
    }

    fn behind_proxy(&self) -> bool {
        self.settings.environment.is_production()
    }
}

impl FormRejections for AppState {
    type Rejection = PageError;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header};
    use belgrano_platform::session::Token;

    #[test]
    fn the_session_and_csrf_cookies_are_read_among_others() {
        let t = Token::generate();
        let mut headers = HeaderMap::new();
        let both = format!("a=b; {SESSION_COOKIE}={}; {CSRF_COOKIE}=x", t.as_str());
        headers.insert(header::COOKIE, HeaderValue::from_str(&both).unwrap());
        assert_eq!(session_cookie(false).token(&headers), Some(t));
        assert_eq!(csrf_cookie(false).token(&headers), None, "only tokens the platform made");
        headers.insert(header::COOKIE, HeaderValue::from_static("ahorro_sesion=../etc"));
        assert_eq!(session_cookie(false).token(&headers), None);
        let set = session_cookie(true).set("abc");
        let set = set.to_str().unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.ends_with("; Secure"), "{set}");
        assert!(csrf_cookie(false).set("abc").to_str().unwrap().contains("SameSite=Strict"));
    }
}
