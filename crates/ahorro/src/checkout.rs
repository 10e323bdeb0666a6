//! Checkout: a validated [`Checkout`] → one transaction (stock, order,
//! lines, outbox row; `Store::place_pedido`) → a short wait for the first
//! delivery attempt to Tickets (`CHECKOUT_WAIT_MS`) → the answer, built from
//! what the transaction and that attempt know ([`Colocado`]; reading the
//! order back cost two more statements per order, issue 17).
//!
//! Prices and totals always come from the catalogue inside the
//! transaction; anything a client says about money is ignored.

use std::time::Duration;

use belgrano_contract::ticket::{Numero, TicketCreado};
use belgrano_contract::{Centavos, FieldError};
use belgrano_platform::outbox::Waker;
use chrono::{DateTime, Utc};

use crate::delivery::Waiters;
use crate::domain::checkout::{Checkout, EntregaError};
use crate::domain::entrega::Direccion;
use crate::domain::pedido::{PlacedPedido, new_numero};
use crate::store::{PlaceError, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// 400, naming the field.
    #[error("{0}")]
    Invalid(FieldError),
    /// 409: the window closed or filled up; naming the field (`franja_id`).
    #[error("{0}")]
    Conflict(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A committed order, as the checkout answers it.
#[derive(Debug, Clone)]
pub struct Colocado {
    pub numero: Numero,
    /// The customer's full name.
    pub cliente: String,
    pub total: Centavos,
    pub fecha: DateTime<Utc>,
    /// The structured address, when the order came with one.
    pub direccion: Option<Direccion>,
    /// Tickets' answer, when the first attempt delivered within the wait.
    pub ticket: Option<TicketCreado>,
}

#[derive(Clone)]
pub struct CheckoutService {
    store: Store,
    waiters: Waiters,
    worker: Waker,
    wait: Duration,
}

impl CheckoutService {
    /// `worker` wakes the outbox worker; `waiters` hear of its attempts.
    pub fn new(store: Store, waiters: Waiters, worker: Waker, wait: Duration) -> Self {
        Self { store, waiters, worker, wait }
    }

    /// Commits the order (with its outbox row) and waits at most the
    /// configured time for the first attempt to reach Tickets. The order
    /// stands either way; the answer says whether the ticket is known yet.
    pub async fn place(&self, checkout: &Checkout) -> Result<Colocado, CheckoutError> {
        let ajustes = self.store.ajustes_entrega().await?;
        let entrega = checkout.entrega(&ajustes, chrono::Utc::now()).map_err(|e| match e {
            EntregaError::Invalid(f) => CheckoutError::Invalid(f),
            EntregaError::Conflict(f) => CheckoutError::Conflict(f),
        })?;
        let zona = entrega.zona.clone();
        let chosen = checkout.franja_id.is_some();
        let mut attempt = 0;
        let (numero, placed, attempt_over) = loop {
            attempt += 1;
            let numero = new_numero();
            let pedido = checkout.pedido(&numero, entrega.clone());
            let payload = |placed: &PlacedPedido| {
                serde_json::to_string(&checkout.ticket(&numero, &zona.barrio, placed)).expect("a ticket serialises")
            };
            let attempt_over = self.waiters.listen(numero.as_str());
            let placed = self.store.place_pedido(&pedido, payload).await;
            if placed.is_err() {
                self.waiters.forget(numero.as_str());
            }
            match placed {
                Ok(placed) => break (numero, placed, attempt_over),
                Err(PlaceError::DuplicateNumero) if attempt < 5 => continue,
                Err(PlaceError::DuplicateNumero) => {
                    return Err(StoreError::Corrupt("could not draw a unique order number".into()).into());
                }
                Err(PlaceError::UnknownProduct { index }) => {
                    return Err(CheckoutError::Invalid(FieldError::new(
                        format!("items[{index}].producto_id"),
                        "el producto no existe",
                    )));
                }
                Err(PlaceError::NotEnoughStock { index, disponible }) => {
                    let message = if disponible == 0 {
                        "el producto no tiene stock".to_owned()
                    } else {
                        format!("solo quedan {disponible} unidades")
                    };
                    return Err(CheckoutError::Invalid(FieldError::new(format!("items[{index}].cantidad"), message)));
                }
                Err(PlaceError::UnderMinimum { minimo, subtotal }) => {
                    return Err(CheckoutError::Invalid(FieldError::new(
                        "items",
                        format!(
                            "el pedido mínimo para {} es {}: faltan {}",
                            zona.barrio,
                            minimo.format_ars(),
                            belgrano_contract::Centavos(minimo.0 - subtotal.0).format_ars()
                        ),
                    )));
                }
                Err(PlaceError::WindowFull) => {
                    let message = if chosen {
                        "la franja elegida se completó; elegí otra"
                    } else {
                        "no quedan franjas de entrega disponibles en los próximos días"
                    };
                    return Err(CheckoutError::Conflict(FieldError::new("franja_id", message)));
                }
                Err(PlaceError::PagaConShort { total }) => {
                    return Err(CheckoutError::Invalid(FieldError::new(
                        "paga_con",
                        format!("debe cubrir el total de {}", total.format_ars()),
                    )));
                }
                Err(PlaceError::Store(e)) => return Err(e.into()),
            }
        };
        tracing::info!(total = %placed.total.format_ars(), "pedido {numero} registrado; se envía a Tickets");
        self.worker.wake();
        let ticket = match tokio::time::timeout(self.wait, attempt_over).await {
            Ok(heard) => heard.ok().flatten(),
            Err(_) => {
                self.waiters.forget(numero.as_str());
                None
            }
        };
        Ok(Colocado {
            numero,
            cliente: checkout.cliente.nombre_completo(),
            total: placed.total,
            fecha: placed.fecha,
            direccion: entrega.direccion.clone(),
            ticket,
        })
    }
}
