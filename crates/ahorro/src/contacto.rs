//! The contact form's service: a validated message is kept and mailed to
//! the shop (`CONTACT_EMAIL`) in one transaction (`Store::guardar_contacto`),
//! and messages are limited per client address and per sender e-mail with
//! the platform's [`LoginThrottle`] under its own scope (in the database,
//! so every instance counts the same ones), so the form cannot be turned
//! into a spam cannon aimed at the shop's inbox. Every message counts.

use std::time::Duration;

use belgrano_platform::db::Lock;
use belgrano_platform::throttle::{Limits, LoginThrottle};

use crate::domain::contacto::MensajeContacto;
use crate::domain::correo;
use crate::store::{Store, StoreError};

/// Messages from one address (or one sender e-mail) in [`CONTACT_WINDOW`].
pub const MAX_CONTACTOS: i64 = 5;
/// No longer than the logins' window (their sweep removes older rows).
pub const CONTACT_WINDOW: Duration = crate::accounts::LOGIN_WINDOW;
const LIMITS: Limits = Limits { per_account: MAX_CONTACTOS, per_address: Some(MAX_CONTACTOS), window: CONTACT_WINDOW };
/// Serialises admissions across instances ("BACO").
const LOCK: Lock = Lock(0x4241_434F);
const SCOPE: &str = "contacto";

/// How sending ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envio {
    /// Kept (this id) and queued for the shop.
    Enviado(i64),
    /// Too many messages lately: nothing was kept nor mailed.
    Limitado,
}

#[derive(Clone, Debug)]
pub struct Contactos {
    store: Store,
    throttle: LoginThrottle,
}

impl Contactos {
    /// Cheap (clones of the pools): made where it is needed.
    pub fn new(store: Store) -> Self {
        let throttle = LoginThrottle::scoped(store.db().clone(), LIMITS, LOCK, SCOPE);
        Self { store, throttle }
    }

    /// Sends `m` to `para` (the shop) from a client at `address`
    /// (`usuario_id`: the account, when logged in).
    pub async fn enviar(
        &self,
        para: &str,
        m: &MensajeContacto,
        usuario_id: Option<i64>,
        address: &str,
    ) -> Result<Envio, StoreError> {
        let Some(slot) = self.throttle.admit(&m.email, address).await? else {
            tracing::warn!("formulario de contacto limitado por mensajes repetidos");
            return Ok(Envio::Limitado);
        };
        // The slot stays: a message sent counts as one of the limit's.
        self.throttle.failed(slot);
        let c = correo::contacto(para, &m.nombre, &m.email, &m.mensaje);
        let id = self.store.guardar_contacto(m, usuario_id, address, &c).await?;
        Ok(Envio::Enviado(id))
    }
}
