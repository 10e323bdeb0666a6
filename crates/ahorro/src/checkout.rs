//! Checkout: a validated [`Checkout`] → one transaction (stock, order,
//! lines, outbox row; `Store::place_pedido`) → a short wait for the first
//! delivery attempt to Tickets (`CHECKOUT_WAIT_MS`).
//!
//! Prices and totals always come from the catalogue inside the
//! transaction; anything a client says about money is ignored.

use std::time::Duration;

use belgrano_contract::FieldError;
use belgrano_platform::outbox::Waker;

use crate::delivery::Waiters;
use crate::domain::checkout::{Checkout, EntregaError};
use crate::domain::pedido::{Pedido, PlacedPedido, new_numero};
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
    pub async fn place(&self, checkout: &Checkout) -> Result<Pedido, CheckoutError> {
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
                Err(PlaceError::DuplicateNumero | PlaceError::Contended) if attempt < 5 => continue,
                Err(PlaceError::Contended) => {
                    return Err(CheckoutError::Conflict(FieldError::new(
                        "items",
                        "el stock o las franjas cambiaron mientras pedías; probá de nuevo",
                    )));
                }
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
        if tokio::time::timeout(self.wait, attempt_over).await.is_err() {
            self.waiters.forget(numero.as_str());
        }
        // Read back on a reader connection. Answering from the transaction
        // and Tickets' receipt instead was tried (issue 17): the checkouts
        // then reached SQLite's one writer sooner and crowded out their own
        // deliveries' writes, and throughput fell from about 700 to 420
        // orders/s (docs/BENCHMARKS.md).
        self.store
            .pedido(numero.as_str())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("order {numero} vanished after commit")).into())
    }
}
