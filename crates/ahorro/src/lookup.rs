//! Finding an order again without an account (`/buscar-pedido`): its
//! number and the e-mail it was placed with lead to its tracking link.
//!
//! A wrong pair says nothing about which half was wrong (an unknown number
//! and a wrong e-mail end alike), and guesses are limited per client
//! address with the platform's [`LoginThrottle`], under its own scope in
//! the same `login_failures` table: counted in the database, so every
//! instance counts the same ones. A match does not count.

use std::time::Duration;

use belgrano_platform::db::Lock;
use belgrano_platform::throttle::{Limits, LoginThrottle};

use crate::domain::pedido::Busqueda;
use crate::store::{Store, StoreError};

/// Failed lookups from one address in [`LOOKUP_WINDOW`] before it is
/// refused for a while.
pub const MAX_FAILED_LOOKUPS: i64 = 10;
/// No longer than the logins' window (their sweep removes older rows).
pub const LOOKUP_WINDOW: Duration = crate::accounts::LOGIN_WINDOW;
const LOOKUP_LIMITS: Limits = Limits { per_account: MAX_FAILED_LOOKUPS, per_address: None, window: LOOKUP_WINDOW };
/// Serialises lookup admissions across instances ("BABP").
const LOOKUP_LOCK: Lock = Lock(0x4241_4250);
const SCOPE: &str = "buscar-pedido";

/// How a lookup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The order's number: its tracking link is the answer.
    Found(String),
    /// No order has this number and e-mail (either may be the wrong one).
    NotFound,
    /// Too many failures from this address: nothing was looked up.
    Limited,
}

#[derive(Clone, Debug)]
pub struct PedidoLookup {
    store: Store,
    throttle: LoginThrottle,
}

impl PedidoLookup {
    /// Cheap (clones of the pools): made where it is needed.
    pub fn new(store: Store) -> Self {
        let throttle = LoginThrottle::scoped(store.db().clone(), LOOKUP_LIMITS, LOOKUP_LOCK, SCOPE);
        Self { store, throttle }
    }

    /// Looks `busqueda` up for a client at `address`.
    pub async fn find(&self, busqueda: &Busqueda, address: &str) -> Result<Lookup, StoreError> {
        let Some(slot) = self.throttle.admit(address, address).await? else {
            tracing::warn!("búsqueda de pedidos bloqueada por intentos fallidos repetidos");
            return Ok(Lookup::Limited);
        };
        let pedido = self.store.pedido(busqueda.numero.as_str()).await?;
        match pedido.filter(|p| busqueda.matches(p)) {
            Some(p) => {
                // A right pair does not reset the count: one known order
                // must not buy more guesses at others.
                self.throttle.release(slot).await?;
                Ok(Lookup::Found(p.numero.to_string()))
            }
            None => {
                self.throttle.failed(slot);
                Ok(Lookup::NotFound)
            }
        }
    }
}
