//! Status updates back to Ahorro: what the platform's outbox worker
//! delivers from the notify outbox (one row per ticket version, written in
//! the transaction of the change) to Ahorro's `POST /api/tickets`.
//!
//! Retryable failures (connection errors, timeouts, 5xx, 429) are retried
//! for as long as it takes; a 4xx is parked for a person
//! (`GET /api/notificaciones/fallidas`), except a 404: Ahorro has no such
//! order (a ticket that did not come from it), so the update is recorded
//! as unwanted and dropped. Ahorro applies an update only if
//! its `version` is newer, so a repeat or a late arrival is harmless.

use std::time::Duration;

use belgrano_contract::ticket::TicketActualizacion;
use belgrano_contract::{API_KEY_HEADER, REQUEST_ID_HEADER};
use belgrano_platform::outbox::{self, Delivery, Failure, OutboxRow};
use belgrano_platform::retry::Outcome;

/// How the notify worker runs: a claim outlasts one request's timeout.
pub const WORKER: outbox::Config =
    outbox::Config { service: "tickets", lease: Duration::from_secs(30), max_in_flight: 32 };

/// What Ahorro's 404 says when it has no order with that numero.
const AHORRO_NO_SUCH_ORDER: &str = "pedido no encontrado";

/// Posts one status update to Ahorro.
pub struct ToAhorro {
    client: reqwest::Client,
    endpoint: String,
    api_key: String,
}

impl ToAhorro {
    pub fn new(ahorro_url: &str, api_key: &str) -> Self {
        let client = outbox::http_client();
        Self { client, endpoint: format!("{ahorro_url}/api/tickets"), api_key: api_key.to_owned() }
    }
}

impl Delivery for ToAhorro {
    type Receipt = ();

    async fn deliver(&self, row: &OutboxRow) -> Result<(), Failure> {
        // `ticket-{id}-v{version}`: the same update always has the same id.
        let request_id = serde_json::from_str::<TicketActualizacion>(&row.payload)
            .map(|u| format!("ticket-{}-v{}", u.ticket_id, u.version))
            .unwrap_or_else(|_| format!("notificacion-{}", row.id));
        let sent = self
            .client
            .post(&self.endpoint)
            .header(API_KEY_HEADER, &self.api_key)
            .header(REQUEST_ID_HEADER, &request_id)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(row.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                if status == 404 {
                    // Only Ahorro's own answer for an unknown order: a 404 of a
                    // wrong address (no such route) is parked like any refusal.
                    let body = response.text().await.unwrap_or_default();
                    if body.contains(AHORRO_NO_SUCH_ORDER) {
                        tracing::warn!(numero = %row.subject, "Ahorro no conoce el pedido: la actualización se descarta");
                        return Err(Failure::Unwanted("Ahorro no conoce el pedido (404)".to_owned()));
                    }
                    return Err(Failure::Permanent("Ahorro respondió 404".to_owned()));
                }
                match Outcome::from_status(status) {
                    Outcome::Delivered => {
                        tracing::info!(numero = %row.subject, "estado del ticket enviado a Ahorro");
                        Ok(())
                    }
                    Outcome::Retry => Err(Failure::Retry(format!("Ahorro respondió {status}"))),
                    Outcome::Permanent => Err(Failure::Permanent(format!("Ahorro respondió {status}"))),
                }
            }
            Err(error) if error.is_timeout() => Err(Failure::Retry("tiempo de espera agotado".to_owned())),
            Err(_) => Err(Failure::Retry("Ahorro no responde (conexión)".to_owned())),
        }
    }
}
