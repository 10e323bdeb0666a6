//! Who may use the desk: logging in (with brute-force protection), the
//! session behind each request and each live connection, logging out.
//!
//! Sessions are the platform's design (`belgrano_platform::session`): a
//! random token in an HttpOnly cookie ([`SESSION_COOKIE`]), only its hash in
//! the database, a fixed expiry of [`SESSION_HOURS`] from login (one work
//! shift). Failed logins are counted in the database
//! (`belgrano_platform::throttle`): after [`MAX_FAILURES`] for one account or
//! from one address within [`WINDOW_MINUTES`], further attempts are refused
//! without checking the password.
//!
//! A forgotten password: [`Accounts::request_reset`] mails a single-use
//! link valid one hour (`belgrano_platform::reset`), with the same answer
//! whether the account exists or not; [`Accounts::reset_password`] sets the
//! new password and ends every session of the account.

use std::time::Duration;

use belgrano_platform::db::Lock;
use belgrano_platform::password;
use belgrano_platform::reset::{PasswordResets, RESET_LIMITS, Refusal};
use belgrano_platform::session::{CookieSpec, Sessions, Token};
use belgrano_platform::throttle::{Limits, LoginThrottle};

use crate::domain::usuario::Usuario;
use crate::store::{Store, StoreError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "belgrano_sesion";
/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "belgrano_csrf";
/// Lifetime of a session, from login.
pub const SESSION_HOURS: i64 = 12;
pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;
/// Serialises login admissions across instances ("BTLG").
const THROTTLE_LOCK: Lock = Lock(0x4254_4C47);
/// Serialises password reset requests across instances ("BTRS").
const RESET_LOCK: Lock = Lock(0x4254_5253);

/// How a reset request ended: the same for known and unknown e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    Limited,
    Done,
}

/// Why a new password from a reset link was not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetRefusal {
    Link(Refusal),
    Invalid(&'static str),
}

/// The session cookie (`Secure` in production).
pub fn session_cookie(secure: bool) -> CookieSpec {
    CookieSpec { name: SESSION_COOKIE, same_site: "Lax", max_age_secs: SESSION_HOURS * 3600, secure }
}

#[derive(Debug)]
pub enum LoginOutcome {
    /// A new session: put `token` in the cookie.
    LoggedIn {
        user: Usuario,
        token: Token,
    },
    WrongCredentials,
    /// Right password, but the account was deactivated.
    Inactive,
    TooManyAttempts,
}

/// Logins and sessions. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    sessions: Sessions,
    throttle: LoginThrottle,
    resets: PasswordResets,
}

impl Accounts {
    pub fn new(store: Store) -> Self {
        let limits = Limits {
            per_account: MAX_FAILURES,
            per_address: Some(MAX_FAILURES),
            window: Duration::from_secs(WINDOW_MINUTES as u64 * 60),
        };
        let sessions = Sessions::new(store.db().clone());
        let throttle = LoginThrottle::new(store.db().clone(), limits, THROTTLE_LOCK);
        let resets = PasswordResets::new(store.db().clone(), RESET_LIMITS, RESET_LOCK);
        Self { store, sessions, throttle, resets }
    }

    /// Checks the limit, then the password; records a failure or opens a session.
    pub async fn login(&self, email: &str, password: &str, address: &str) -> Result<LoginOutcome, StoreError> {
        // Counted by what was typed, so unknown emails are limited too.
        let email = email.trim().to_lowercase();
        let Some(slot) = self.throttle.admit(&email, address).await? else {
            tracing::warn!(address, "login refused: too many failed attempts");
            return Ok(LoginOutcome::TooManyAttempts);
        };
        let (user, stored) = match self.store.login_account(&email).await? {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let matches = password::verify(password, stored).await;
        let user = match user {
            Some(user) if matches => user,
            _ => {
                self.throttle.failed(slot);
                return Ok(LoginOutcome::WrongCredentials);
            }
        };
        if !user.activo {
            self.throttle.release(slot).await?;
            return Ok(LoginOutcome::Inactive);
        }
        self.throttle.succeeded(slot).await?;
        let token = Token::generate();
        let expires_at = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
        self.sessions.create(&token, user.id, expires_at).await?;
        tracing::info!(user_id = user.id, role = user.role.as_str(), "login");
        Ok(LoginOutcome::LoggedIn { user, token })
    }

    /// The active account a session token belongs to, if the session exists
    /// and has not expired. Pages and live connections authenticate by it.
    pub async fn usuario_of(&self, token: &Token) -> Result<Option<Usuario>, StoreError> {
        let Some(id) = self.sessions.user_id(token).await? else { return Ok(None) };
        Ok(self.store.usuario(id).await?.filter(|u| u.activo))
    }

    pub async fn logout(&self, token: &Token) -> Result<(), StoreError> {
        self.sessions.delete(token).await
    }

    /// Ends every session of an account (a dispatcher set its password).
    pub async fn end_all_sessions(&self, user_id: i64) -> Result<(), StoreError> {
        self.sessions.delete_all_of(user_id, None).await
    }

    /// Ends every session of an account but `keep` (after a password change).
    pub async fn end_other_sessions(&self, user_id: i64, keep: &Token) -> Result<(), StoreError> {
        self.sessions.delete_all_of(user_id, Some(keep)).await
    }

    /// Mails a reset link to `email` if an active account has it; `link`
    /// makes the absolute link from the token. The same work either way
    /// (the request recorded, the mail rendered), nothing queued for an
    /// unknown or inactive account.
    pub async fn request_reset(
        &self,
        email: &str,
        address: &str,
        link: impl Fn(&str) -> String,
    ) -> Result<ResetRequest, StoreError> {
        let email = email.trim().to_lowercase();
        if !self.resets.admit(&email, address).await? {
            tracing::warn!("password reset requests limited");
            return Ok(ResetRequest::Limited);
        }
        match self.store.login_account(&email).await? {
            Some((user, Some(_))) if user.activo => {
                let para = user.email.clone();
                self.store
                    .queue_reset(user.id, |token| crate::domain::correo::restablecer(&para, &link(token)))
                    .await?;
            }
            _ => {
                // Comparable work, nothing queued.
                let token = Token::generate();
                let _ = crate::domain::correo::restablecer(&email, &link(token.as_str()));
                self.resets.comparable_work().await?;
            }
        }
        Ok(ResetRequest::Done)
    }

    /// An admin sends a person the link to choose a password (a new account
    /// made without one, or a forgotten one). Not limited like the public
    /// form: only admins reach it, and only for accounts that exist.
    pub async fn send_reset(&self, user: &Usuario, link: impl Fn(&str) -> String) -> Result<(), StoreError> {
        let para = user.email.clone();
        self.store.queue_reset(user.id, |token| crate::domain::correo::restablecer(&para, &link(token))).await
    }

    /// Whether a reset link still works.
    pub async fn reset_link(&self, token: &str) -> Result<Result<(), Refusal>, StoreError> {
        Ok(self.resets.check(token).await?.map(drop))
    }

    /// Sets a new password from a reset link; returns the account, whose
    /// sessions all ended (the caller closes its live connections).
    pub async fn reset_password(
        &self,
        token: &str,
        nueva: &str,
        confirmacion: &str,
    ) -> anyhow::Result<Result<i64, ResetRefusal>> {
        if let Err(refusal) = self.resets.check(token).await? {
            return Ok(Err(ResetRefusal::Link(refusal)));
        }
        let nueva = match crate::domain::input::NewPassword::parse(nueva) {
            Ok(p) => p,
            Err(why) => return Ok(Err(ResetRefusal::Invalid(why))),
        };
        if nueva.as_str() != confirmacion {
            return Ok(Err(ResetRefusal::Invalid("La confirmación no coincide con la contraseña nueva.")));
        }
        let hash = password::hash(nueva.as_str()).await?;
        Ok(self.store.reset_password(token, &hash).await?.map_err(ResetRefusal::Link))
    }
}
