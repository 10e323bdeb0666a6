//! The notify worker: delivers ticket status updates to Ahorro's
//! `POST /api/tickets` from the notify outbox, with the retry policy both
//! services share (`belgrano_shared::retry`): retryable failures
//! (connection errors, timeouts, 5xx, 429) are retried with growing,
//! jittered delays for as long as it takes; a 4xx is parked as failed for a
//! person to see and retry by hand, never dropped.
//!
//! The worker holds no state of its own: rows are claimed with a lease, so
//! after a crash (or with several instances) nothing is lost or sent twice
//! at once. Ahorro applies an update only if its `version` is newer, so a
//! repeat or a late arrival is harmless.

use std::sync::Arc;
use std::time::Duration;

use belgrano_shared::retry::{Outcome, REQUEST_TIMEOUT, delay_after};
use belgrano_shared::{API_KEY_HEADER, REQUEST_ID_HEADER};
use tokio::sync::{Notify, watch};

use crate::store::{OutboxItem, Store};

/// How long a claim lasts; longer than one request's timeout.
const LEASE: Duration = Duration::from_secs(30);
/// Rows per claim.
const CLAIM_BATCH: i64 = 32;
/// How often to look for due retries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct NotifyWorker {
    store: Store,
    client: reqwest::Client,
    endpoint: String,
    api_key: String,
    wake: Arc<Notify>,
}

impl NotifyWorker {
    pub fn new(store: Store, ahorro_url: &str, api_key: &str, wake: Arc<Notify>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client builds");
        Self { store, client, endpoint: format!("{ahorro_url}/api/tickets"), api_key: api_key.to_owned(), wake }
    }

    /// Runs until `stop` turns true; a delivery in flight finishes first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            match self.store.claim_due_updates(CLAIM_BATCH, LEASE).await {
                Ok(items) if !items.is_empty() => {
                    // Concurrently: one slow answer must not hold up the rest
                    // (Ahorro keeps the newest version, so order does not matter).
                    futures_util::future::join_all(items.into_iter().map(|item| self.deliver(item))).await;
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "notify outbox: could not claim updates"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn deliver(&self, item: OutboxItem) {
        let request_id = format!("ticket-{}-v{}", item.ticket_id, item.version);
        let sent = self
            .client
            .post(&self.endpoint)
            .header(API_KEY_HEADER, &self.api_key)
            .header(REQUEST_ID_HEADER, &request_id)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(item.payload.clone())
            .send()
            .await;
        let (outcome, error) = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                (Outcome::from_status(status), format!("Ahorro respondió {status}"))
            }
            Err(error) if error.is_timeout() => (Outcome::Retry, "tiempo de espera agotado".to_owned()),
            Err(_) => (Outcome::Retry, "Ahorro no responde (conexión)".to_owned()),
        };
        let attempts = item.attempts as u32 + 1;
        let outcome_label = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Retry => "retry",
            Outcome::Permanent => "failed",
        };
        metrics::counter!("outbox_delivery_attempts_total", "service" => "tickets", "outcome" => outcome_label)
            .increment(1);
        let result = match outcome {
            Outcome::Delivered => {
                tracing::info!(numero = %item.numero, version = item.version, "estado del ticket enviado a Ahorro");
                self.store.mark_update_delivered(item.id).await
            }
            Outcome::Retry => {
                let delay = delay_after(attempts);
                tracing::warn!(numero = %item.numero, attempts, ?delay, "{error}; se reintentará");
                let retry_at = chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.store.mark_update_retry(item.id, &error, retry_at).await
            }
            Outcome::Permanent => {
                tracing::error!(numero = %item.numero, "{error}: actualización rechazada; queda para reintento manual");
                self.store.mark_update_failed(item.id, &error).await
            }
        };
        if let Err(error) = result {
            // The claim expires and the row is tried again: at least once.
            tracing::warn!(%error, "notify outbox: could not record the outcome");
        }
    }
}
