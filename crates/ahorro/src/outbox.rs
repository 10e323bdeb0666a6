//! The delivery worker: empties the outbox into Tickets.
//!
//! Each order's outbox row was committed with the order, so nothing is lost
//! if this process dies: rows are claimed with a lease (an expired claim
//! comes back), delivery is at least once, and Tickets' idempotency by
//! `numero` makes a repeat harmless. Retryable failures (connection errors,
//! timeouts, 5xx, 429) wait per `belgrano_shared::retry` and are retried
//! for as long as it takes; a 4xx parks the row as `fallido` for an
//! administrator (`GET /api/outbox/fallidos`, `POST /api/outbox/{id}/reintentar`).
//!
//! The worker keeps no state a restart would lose. [`Deliveries`] only lets
//! a checkout request wake it and wait briefly for its own order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use belgrano_shared::retry::delay_after;
use belgrano_shared::ticket::TicketCreado;
use tokio::sync::{Notify, Semaphore, watch};

use crate::store::{OutboxItem, Store};
use crate::tickets_client::{SendError, TicketsClient};

/// Most deliveries in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// How often to look for due retries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

/// Wakes the worker and tells waiting checkouts when their order went through.
#[derive(Clone, Default)]
pub struct Deliveries {
    wake: Arc<Notify>,
    /// Checkouts waiting for their order's first attempt, by numero.
    waiting: Arc<Mutex<HashMap<String, Vec<tokio::sync::oneshot::Sender<()>>>>>,
}

impl Deliveries {
    /// Registers interest in one order (before its transaction commits, so
    /// no attempt can slip by unseen). The receiver resolves when the first
    /// attempt for that order is over, delivered or not (when Tickets is
    /// down there is nothing to wait for).
    pub fn listen(&self, numero: &str) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiting.lock().expect("lock").entry(numero.to_owned()).or_default().push(tx);
        rx
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn attempted(&self, numero: &str) {
        if let Some(waiters) = self.waiting.lock().expect("lock").remove(numero) {
            for w in waiters {
                let _ = w.send(());
            }
        }
    }

    /// Forget a waiter that gave up.
    pub fn forget(&self, numero: &str) {
        self.waiting.lock().expect("lock").remove(numero);
    }
}

/// Counts one attempt by what Tickets answered: `delivered` (accepted),
/// `retry` (will be tried again) or `failed` (parked for a person). Counted
/// before the waiting checkout hears of it, so its answer never outruns
/// the counter.
fn count_attempt(outcome: &'static str) {
    metrics::counter!("outbox_delivery_attempts_total", "service" => "ahorro", "outcome" => outcome).increment(1);
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    WillRetry,
    Parked,
    /// Sent, but the outcome could not be written; the lease brings it back.
    NotRecorded,
}

pub struct DeliveryWorker {
    store: Store,
    client: TicketsClient,
    deliveries: Deliveries,
    lease: Duration,
}

impl DeliveryWorker {
    pub fn new(store: Store, client: TicketsClient, deliveries: Deliveries, lease: Duration) -> Self {
        Self { store, client, deliveries, lease }
    }

    /// Runs until `stop` turns true; deliveries in flight finish first.
    ///
    /// Up to [`MAX_IN_FLIGHT`] deliveries run at once, each on its own task,
    /// and the loop claims more as soon as rows are due and a slot is free,
    /// so one slow answer does not hold back the orders behind it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let slot_freed = Arc::new(Notify::new());
        let failing = Arc::new(AtomicBool::new(false));
        loop {
            if *stop.borrow() {
                break;
            }
            let free = slots.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = slot_freed.notified() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            match worker.store.claim_due(free as i64, worker.lease).await {
                Ok(items) if !items.is_empty() => {
                    for item in items {
                        let Ok(permit) = slots.clone().acquire_owned().await else { break };
                        let (worker, failing, slot_freed) = (worker.clone(), failing.clone(), slot_freed.clone());
                        tokio::spawn(async move {
                            match worker.deliver(item).await {
                                Attempt::Delivered if failing.swap(false, Ordering::Relaxed) => {
                                    // Tickets is back: the backlog need not sit out its backoff.
                                    if let Ok(n) = worker.store.expedite_waiting().await
                                        && n > 0
                                    {
                                        tracing::info!("Tickets responde de nuevo: se reenvían {n} pedidos en espera");
                                        worker.deliveries.wake();
                                    }
                                }
                                Attempt::WillRetry => failing.store(true, Ordering::Relaxed),
                                _ => {}
                            }
                            drop(permit);
                            slot_freed.notify_one();
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "outbox: no se pudieron reclamar envíos"),
            }
            tokio::select! {
                _ = worker.deliveries.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
        // Let deliveries in flight record their outcome.
        let _ = slots.acquire_many(MAX_IN_FLIGHT as u32).await;
    }

    /// One attempt for one row.
    async fn deliver(&self, item: OutboxItem) -> Attempt {
        let request_id = format!("{}-{}", item.numero, item.intentos + 1);
        if item.intentos == 0 {
            tracing::info!(url = %self.client.tickets_url(), "📤 Enviando datos a Ticketera: {}", item.numero);
            tracing::debug!(datos = %item.payload, "datos del pedido");
        }
        let result = match self.client.send(&item.payload, &request_id).await {
            Ok(creado) => {
                count_attempt("delivered");
                self.log_success(&item, &creado);
                let recorded = self.store.record_delivery(item.id, item.pedido_id, &creado).await;
                if recorded.is_ok() {
                    tracing::info!("✅ Pedido {} actualizado con información del ticket", item.numero);
                }
                recorded.map(|_| Attempt::Delivered)
            }
            Err(SendError::Retry(error)) => {
                count_attempt("retry");
                let attempts = u32::try_from(item.intentos + 1).unwrap_or(u32::MAX);
                let delay = delay_after(attempts);
                tracing::warn!(numero = %item.numero, intentos = attempts, ?delay, "{error}; se reintentará");
                let at = chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.store.mark_retry(item.id, &error, at).await.map(|_| Attempt::WillRetry)
            }
            Err(SendError::Permanent(error)) => {
                count_attempt("failed");
                tracing::error!(numero = %item.numero, "{error}: envío rechazado; queda para reintento manual");
                self.store.mark_failed(item.id, &error).await.map(|_| Attempt::Parked)
            }
        };
        self.deliveries.attempted(&item.numero);
        result.unwrap_or_else(|error| {
            // The claim expires and the row is tried again: at least once.
            tracing::warn!(%error, numero = %item.numero, "outbox: no se pudo registrar el resultado");
            Attempt::NotRecorded
        })
    }

    fn log_success(&self, item: &OutboxItem, creado: &TicketCreado) {
        let productos = serde_json::from_str::<serde_json::Value>(&item.payload)
            .ok()
            .and_then(|v| v.get("productos").and_then(|p| p.as_array()).map(Vec::len))
            .unwrap_or(0);
        tracing::info!(
            ticket_id = creado.ticket_id,
            "✅ Pedido enviado exitosamente a Ticketera: {}\n   Cliente: {}\n   Total: ${}\n   Productos: {} items\n   Ticket ID: {}",
            item.numero,
            creado.cliente_nombre,
            creado.total,
            productos,
            creado.ticket_id,
        );
    }
}
