//! Orders to Tickets: the [`Delivery`] the platform's outbox worker runs
//! for Ahorro's outbox (`store::outbox`).
//!
//! Each order's outbox row was committed with the order, so nothing is lost
//! if this process dies. The worker ([`belgrano_platform::outbox::Worker`])
//! claims rows with a lease, retries connection errors, timeouts, 5xx and
//! 429 for as long as it takes, and parks any other 4xx as `failed` for an
//! administrator (`GET /api/outbox/fallidos`, `POST
//! /api/outbox/{id}/reintentar`). Delivery is at least once; Tickets'
//! idempotency by `numero` makes a repeat harmless.
//!
//! What is Ahorro's: the request ([`TicketsDelivery::deliver`], with the
//! seed's log lines), the order learning its ticket in the same transaction
//! as the row is closed ([`TicketsDelivery::record`]), and [`Waiters`]: the
//! checkouts waiting briefly for their order's first attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use belgrano_contract::ticket::TicketCreado;
use belgrano_platform::db::StoreError;
use belgrano_platform::outbox::{Attempt, Closing, Delivery, Failure, OutboxRow};
use tokio::sync::oneshot;

use crate::store::Store;
use crate::tickets_client::TicketsClient;

/// Checkouts waiting for their order's first attempt, by numero.
#[derive(Clone, Default)]
pub struct Waiters {
    waiting: Arc<Mutex<HashMap<String, Vec<oneshot::Sender<()>>>>>,
}

impl Waiters {
    /// Registers interest in one order (before its transaction commits, so
    /// no attempt can slip by unseen). The receiver resolves when the first
    /// attempt for that order is over, delivered or not (when Tickets is
    /// down there is nothing to wait for).
    pub fn listen(&self, numero: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().expect("lock").entry(numero.to_owned()).or_default().push(tx);
        rx
    }

    /// Forget a waiter that gave up.
    pub fn forget(&self, numero: &str) {
        self.waiting.lock().expect("lock").remove(numero);
    }

    fn attempted(&self, numero: &str) {
        if let Some(waiters) = self.waiting.lock().expect("lock").remove(numero) {
            for w in waiters {
                let _ = w.send(());
            }
        }
    }
}

/// Posts each order's ticket to Tickets.
pub struct TicketsDelivery {
    client: TicketsClient,
    waiters: Waiters,
}

impl TicketsDelivery {
    pub fn new(client: TicketsClient, waiters: Waiters) -> Self {
        Self { client, waiters }
    }

    fn log_success(row: &OutboxRow, creado: &TicketCreado) {
        let productos = serde_json::from_str::<serde_json::Value>(&row.payload)
            .ok()
            .and_then(|v| v.get("productos").and_then(|p| p.as_array()).map(Vec::len))
            .unwrap_or(0);
        tracing::info!(
            ticket_id = creado.ticket_id,
            "✅ Pedido enviado exitosamente a Ticketera: {}\n   Cliente: {}\n   Total: ${}\n   Productos: {} items\n   Ticket ID: {}",
            row.subject,
            creado.cliente_nombre,
            creado.total,
            productos,
            creado.ticket_id,
        );
    }
}

impl Delivery for TicketsDelivery {
    type Receipt = TicketCreado;

    /// One `POST {TICKETERA_URL}/api/tickets` with the service key and
    /// `X-Request-ID: {numero}-{attempt}`.
    async fn deliver(&self, row: &OutboxRow) -> Result<TicketCreado, Failure> {
        let request_id = format!("{}-{}", row.subject, row.attempts + 1);
        if row.attempts == 0 {
            tracing::info!(url = %self.client.tickets_url(), "📤 Enviando datos a Ticketera: {}", row.subject);
            tracing::debug!(datos = %row.payload, "datos del pedido");
        }
        let creado = self.client.send(&row.payload, &request_id).await?;
        Self::log_success(row, &creado);
        Ok(creado)
    }

    /// The order learns its ticket (step 6) in the transaction that marks
    /// the row delivered.
    async fn record(&self, closing: &mut Closing<'_>, row: &OutboxRow, creado: TicketCreado) -> Result<(), StoreError> {
        Store::record_ticket(closing.tx().await?, &row.subject, &creado).await
    }

    fn attempted(&self, row: &OutboxRow, attempt: Attempt) {
        if attempt == Attempt::Delivered {
            tracing::info!("✅ Pedido {} actualizado con información del ticket", row.subject);
        }
        self.waiters.attempted(&row.subject);
    }
}
