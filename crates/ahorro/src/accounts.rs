//! Accounts: registration, login and logout, password changes, on the
//! platform's mechanisms: [`Sessions`] (a session is the browser's visitor
//! token, stored hashed once it logs in), [`LoginThrottle`] (failed logins
//! counted in the database) and `password` (Argon2id, with the same work
//! for an unknown e-mail).
//!
//! Every login makes a new token (no session fixation): the guest's cart
//! is merged into the account's and the old session, if any, is deleted.
//!
//! Staff accounts (the back office's encargados and admins) are accounts
//! too: [`Accounts::create_staff`], [`Accounts::change_staff`] (role,
//! deactivation and a new password end the account's sessions, in the
//! same transaction) and [`Accounts::ensure_admin`] (`ADMIN_EMAIL`).

use std::time::Duration;

use belgrano_platform::db::Lock;
use belgrano_platform::password;
use belgrano_platform::reset::{self, PasswordResets, RESET_LIMITS, Refusal};
use belgrano_platform::session::{self as platform_session, Sessions, Token};
use belgrano_platform::throttle::{Limits, LoginThrottle};

use crate::domain::carrito::{Carrito, CarritoOwner};
use crate::domain::usuario::{self, CambioStaff, NuevoStaff, NuevoUsuario, Registro, Usuario};
use crate::store::{StaffRefusal, Store, StoreError, Upserted};

/// Failed logins per email before that email is locked for a while.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long failures are remembered, and the lock lasts.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Session lifetime: 30 days, fixed from the login (no sliding).
pub const SESSION_SECS: i64 = 30 * 24 * 3600;

/// Ahorro's login limits: per e-mail only (a shop's customers share
/// addresses behind carrier NAT).
pub const LOGIN_LIMITS: Limits =
    Limits { per_account: MAX_FAILED_LOGINS, per_address: Some(MAX_FAILED_LOGINS_PER_ADDRESS), window: LOGIN_WINDOW };
/// Failed logins from one address (a household, an office, a phone
/// carrier's NAT share one) before that address is refused for a while.
pub const MAX_FAILED_LOGINS_PER_ADDRESS: i64 = 20;
/// Serialises login admissions across instances ("BALG").
const THROTTLE_LOCK: Lock = Lock(0x4241_4C47);
/// Serialises password reset requests across instances ("BARS").
const RESET_LOCK: Lock = Lock(0x4241_5253);
/// What a disabled login's hash is (`Accounts::disable_login`): not a PHC
/// string, so no password matches it.
const DISABLED: &str = "!desactivada";

/// How a password reset request ended. Known and unknown e-mails answer
/// the same: only the limit shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    /// Too many requests for that e-mail or from that address.
    Limited,
    /// A link was mailed if the account exists.
    Done,
}

/// Why a new password from a reset link was not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetRefusal {
    Link(Refusal),
    Invalid(belgrano_contract::FieldError),
}

/// How a login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Too many failures for this e-mail: the password was not checked.
    Locked,
    /// Unknown e-mail or wrong password.
    Refused,
    Accepted {
        usuario_id: i64,
    },
}

/// Why a password change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// The account is gone (its session with it).
    NoAccount,
    WrongCurrent,
    Invalid(belgrano_contract::FieldError),
}

#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    sessions: Sessions,
    throttle: LoginThrottle,
    resets: PasswordResets,
}

impl Accounts {
    pub fn new(store: Store) -> Self {
        let sessions = Sessions::new(store.db().clone());
        let throttle = LoginThrottle::new(store.db().clone(), LOGIN_LIMITS, THROTTLE_LOCK);
        let resets = PasswordResets::new(store.db().clone(), RESET_LIMITS, RESET_LOCK);
        Self { store, sessions, throttle, resets }
    }

    /// The account logged in with this visitor token, if any.
    pub async fn usuario(&self, token: &Token) -> Result<Option<Usuario>, StoreError> {
        match self.sessions.user_id(token).await? {
            Some(id) => self.store.usuario(id).await,
            None => Ok(None),
        }
    }

    /// Makes an account unable to log in (no password matches) and ends its
    /// sessions. False when no account has that email or it was already so.
    pub async fn disable_login(&self, email: &str) -> Result<bool, StoreError> {
        let Some((id, hash)) = self.store.credentials(email).await? else { return Ok(false) };
        if hash == DISABLED {
            return Ok(false);
        }
        self.store.update_password(id, DISABLED).await?;
        self.sessions.delete_all_of(id, None).await?;
        Ok(true)
    }

    /// Drops expired sessions and guest carts untouched for 30 days.
    pub async fn purge_expired(&self) -> Result<(), StoreError> {
        self.sessions.purge_expired().await?;
        self.store.purge_stale_carritos().await
    }

    /// Checks a login: `email` as typed (trimmed and lower-cased here),
    /// `address` the client's (recorded with a failure).
    pub async fn login(&self, email: &str, password: &str, address: &str) -> Result<Login, StoreError> {
        let email = email.trim().to_lowercase();
        let Some(slot) = self.throttle.admit(&email, address).await? else {
            tracing::warn!("login bloqueado por intentos fallidos repetidos");
            return Ok(Login::Locked);
        };
        let found = self.store.credentials(&email).await?;
        let (usuario_id, hash) = found.map_or((None, None), |(id, hash)| (Some(id), Some(hash)));
        // Without a stored hash `verify` still spends the time of one check:
        // an unknown email does not show in the response time.
        let verified = password::verify(password, hash).await;
        match usuario_id {
            Some(usuario_id) if verified => {
                self.throttle.succeeded(slot).await?;
                Ok(Login::Accepted { usuario_id })
            }
            _ => {
                self.throttle.failed(slot);
                Ok(Login::Refused)
            }
        }
    }

    /// Creates the account; `Ok(None)` when the email is taken.
    pub async fn register(&self, registro: Registro) -> anyhow::Result<Option<i64>> {
        let Registro { email, perfil, comercio, password } = registro;
        let password_hash = password::hash(&password).await?;
        let nuevo = NuevoUsuario { email, password_hash, perfil, comercio };
        let id = self.store.create_usuario(&nuevo).await?;
        if let Some(id) = id {
            tracing::info!(usuario_id = id, comerciante = nuevo.comercio.is_some(), "cuenta creada");
        }
        Ok(id)
    }

    /// Logs `usuario_id` in on a new token, replacing the visitor's
    /// `current` one: a guest's cart (`was_guest`) joins the account's,
    /// and the old session, if there was one, ends. Returns the new token
    /// for the cookie.
    pub async fn start_session(&self, current: &Token, was_guest: bool, usuario_id: i64) -> Result<Token, StoreError> {
        if let Err(error) = self.store.purge_stale_carritos().await {
            tracing::warn!(%error, "could not purge stale guest carts");
        }
        let token = Token::generate();
        let expires_at = chrono::Utc::now() + chrono::Duration::seconds(SESSION_SECS);
        // Also drops expired sessions.
        self.sessions.create(&token, usuario_id, expires_at).await?;
        if was_guest {
            let guest = CarritoOwner::Guest(current.hash());
            let guest_cart = self.store.carrito(&guest).await?;
            if !guest_cart.is_empty() {
                let account = CarritoOwner::Account(usuario_id);
                let mut cart = self.store.carrito(&account).await?;
                cart.merge(&guest_cart);
                self.store.save_carrito(&account, &cart).await?;
                self.store.save_carrito(&guest, &Carrito::default()).await?;
            }
        }
        self.sessions.delete(current).await?;
        Ok(token)
    }

    /// Ends the session of `current`; the browser goes on with a new
    /// (guest) token, returned for the cookie.
    pub async fn end_session(&self, current: &Token) -> Result<Token, StoreError> {
        self.sessions.delete(current).await?;
        Ok(Token::generate())
    }

    /// Creates a staff account (an admin's form); `Ok(None)` when the email
    /// is taken.
    pub async fn create_staff(&self, nuevo: NuevoStaff) -> anyhow::Result<Option<i64>> {
        let hash = password::hash(&nuevo.password).await?;
        let id = self.store.create_staff(nuevo.email.as_str(), &nuevo.nombre, nuevo.rol, &hash).await?;
        if let Some(id) = id {
            tracing::info!(usuario_id = id, rol = %nuevo.rol, "cuenta de personal creada");
        }
        Ok(id)
    }

    /// Changes a staff account (role, active, a new password in clear,
    /// hashed here). Deactivation and a new password end its sessions.
    /// `por` is the admin who asked, for the log.
    pub async fn change_staff(
        &self,
        id: i64,
        cambio: CambioStaff<String>,
        por: &Usuario,
    ) -> anyhow::Result<Result<Usuario, StaffRefusal>> {
        let password = match &cambio.password {
            Some(p) => Some(password::hash(p).await?),
            None => None,
        };
        let cambio = CambioStaff { password, ..cambio };
        let outcome = self.store.change_staff(id, &cambio).await?;
        if let Ok(u) = &outcome {
            tracing::info!(
                usuario_id = id,
                rol = %u.rol,
                activo = u.activo,
                nueva_password = cambio.password.is_some(),
                por = por.id,
                "cuenta de personal modificada"
            );
        }
        Ok(outcome)
    }

    /// The admin of `ADMIN_EMAIL`: created, or made an active admin with
    /// this password, at every start.
    pub async fn ensure_admin(&self, email: &str, clear: &str) -> anyhow::Result<Upserted> {
        let hash = password::hash(clear).await?;
        Ok(self.store.upsert_admin(email, "Administrador", &hash).await?)
    }

    /// "¿Olvidaste tu contraseña?": mails a reset link to `email` if an
    /// active account has it. The same work either way (the request is
    /// recorded, the link rendered), so neither the answer nor its time
    /// tells whether the account exists.
    pub async fn request_reset(&self, email: &str, address: &str) -> Result<ResetRequest, StoreError> {
        let email = email.trim().to_lowercase();
        if !self.resets.admit(&email, address).await? {
            tracing::warn!("pedidos de cambio de contraseña limitados");
            return Ok(ResetRequest::Limited);
        }
        let account = match self.store.credentials(&email).await? {
            Some((id, hash)) if hash != DISABLED => self.store.usuario(id).await?.filter(|u| u.activo),
            _ => None,
        };
        match account {
            Some(u) => self.store.queue_reset(u.id, &u.email).await?,
            None => {
                // Comparable work, nothing queued.
                let token = Token::generate();
                let _ = crate::domain::correo::restablecer(&email, &self.store.enlaces().restablecer(token.as_str()));
                self.resets.comparable_work().await?;
            }
        }
        Ok(ResetRequest::Done)
    }

    /// Whether a reset link still works (the form shows only then).
    pub async fn reset_link(&self, token: &str) -> Result<Result<(), Refusal>, StoreError> {
        Ok(self.resets.check(token).await?.map(drop))
    }

    /// Sets a new password from a reset link (the registration's rules):
    /// the link is used up, and every session of the account ends, in one
    /// transaction.
    pub async fn reset_password(
        &self,
        token: &str,
        nueva: &str,
        confirmacion: &str,
    ) -> anyhow::Result<Result<(), ResetRefusal>> {
        if let Err(refusal) = self.resets.check(token).await? {
            return Ok(Err(ResetRefusal::Link(refusal)));
        }
        let nueva = match usuario::new_password(nueva, confirmacion) {
            Ok(p) => p,
            Err(e) => return Ok(Err(ResetRefusal::Invalid(e))),
        };
        let hash = password::hash(&nueva).await?;
        let mut tx = self.store.db().begin_write().await?;
        let usuario_id = match reset::consume(&mut tx, token).await? {
            Ok(id) => id,
            Err(refusal) => return Ok(Err(ResetRefusal::Link(refusal))),
        };
        Store::set_password_in(&mut tx, usuario_id, &hash).await?;
        platform_session::end_all_in(&mut tx, usuario_id).await?;
        tx.commit().await?;
        tracing::info!(usuario_id, "contraseña cambiada con un enlace de recuperación; sesiones cerradas");
        Ok(Ok(()))
    }

    /// Changes the account's password after checking the current one.
    /// Changes the password; every other session of the account ends
    /// (`keep` is the one that asked).
    pub async fn change_password(
        &self,
        usuario: &Usuario,
        keep: &Token,
        actual: &str,
        nueva: &str,
        confirmacion: &str,
    ) -> anyhow::Result<Result<(), PasswordChange>> {
        let Some((_, stored)) = self.store.credentials(&usuario.email).await? else {
            return Ok(Err(PasswordChange::NoAccount));
        };
        if !password::verify(actual, Some(stored)).await {
            return Ok(Err(PasswordChange::WrongCurrent));
        }
        let nueva = match usuario::new_password(nueva, confirmacion) {
            Ok(p) => p,
            Err(e) => return Ok(Err(PasswordChange::Invalid(e))),
        };
        self.store.update_password(usuario.id, &password::hash(&nueva).await?).await?;
        self.sessions.delete_all_of(usuario.id, Some(keep)).await?;
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use belgrano_testkit::{Backend, TestDb};

    #[tokio::test]
    async fn locks_an_email_after_repeated_failures() {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = Store::connect(&db.url).await.unwrap();
        let t = LoginThrottle::new(store.db().clone(), LOGIN_LIMITS, THROTTLE_LOCK);
        let is_locked = |email: &'static str| {
            let t = t.clone();
            async move {
                match t.admit(email, "127.0.0.1").await.unwrap() {
                    Some(slot) => {
                        t.release(slot).await.unwrap();
                        false
                    }
                    None => true,
                }
            }
        };
        let fail = || async { t.failed(t.admit("a@b.c", "127.0.0.1").await.unwrap().unwrap()) };
        for _ in 1..MAX_FAILED_LOGINS {
            fail().await;
        }
        // A right password starts the count again.
        t.succeeded(t.admit("a@b.c", "127.0.0.1").await.unwrap().unwrap()).await.unwrap();
        for _ in 0..MAX_FAILED_LOGINS {
            assert!(!is_locked("a@b.c").await);
            fail().await;
        }
        assert!(is_locked("a@b.c").await);
        assert!(!is_locked("otro@b.c").await);
        store.db().close().await;
    }

    #[tokio::test]
    async fn hashes_and_verifies() {
        let hash = password::hash("secreto123").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password::verify("secreto123", Some(hash.clone())).await);
        assert!(!password::verify("otro", Some(hash)).await);
    }
}
