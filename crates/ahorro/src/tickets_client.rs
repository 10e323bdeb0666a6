//! The HTTP client for Belgrano Tickets: posts a ticket (seed steps 3–5)
//! and checks whether Tickets is reachable (for `/health`).

use std::time::{Duration, Instant};

use belgrano_contract::ticket::TicketCreado;
use belgrano_contract::{API_KEY_HEADER, REQUEST_ID_HEADER};
use belgrano_platform::outbox::Failure;
use belgrano_platform::retry::Outcome;

#[derive(Clone)]
pub struct TicketsClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

impl TicketsClient {
    pub fn new(base_url: &str, api_key: &str) -> Self {
        let http = belgrano_platform::outbox::http_client();
        Self { http, base_url: base_url.trim_end_matches('/').to_owned(), api_key: api_key.to_owned() }
    }

    pub fn tickets_url(&self) -> String {
        format!("{}/api/tickets", self.base_url)
    }

    /// Posts an already serialised `NuevoTicket`. A failure says whether
    /// trying again can help ([`Outcome`]: connection errors, timeouts, 5xx
    /// and 429 can; any other 4xx cannot).
    pub async fn send(&self, payload: &str, request_id: &str) -> Result<TicketCreado, Failure> {
        let sent = self
            .http
            .post(self.tickets_url())
            .header(API_KEY_HEADER, &self.api_key)
            .header(REQUEST_ID_HEADER, request_id)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.to_owned())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Err(Failure::Retry("tiempo de espera agotado (10 s)".into())),
            Err(_) => return Err(Failure::Retry("Tickets no responde (conexión)".into())),
        };
        let status = response.status().as_u16();
        match Outcome::from_status(status) {
            Outcome::Delivered => match response.json::<TicketCreado>().await {
                Ok(creado) => Ok(creado),
                // A 2xx we cannot read: try again; idempotency makes it safe.
                Err(_) => Err(Failure::Retry(format!("Tickets respondió {status} con un cuerpo ilegible"))),
            },
            Outcome::Retry => Err(Failure::Retry(format!("Tickets respondió {status}"))),
            Outcome::Permanent => {
                let body = response.text().await.unwrap_or_default();
                let body: String = body.chars().take(300).collect();
                Err(Failure::Permanent(format!("Tickets respondió {status}: {body}")))
            }
        }
    }

    /// Whether Tickets answers its health check, and how fast.
    pub async fn probe(&self) -> (bool, Duration) {
        let started = Instant::now();
        let ok = self
            .http
            .get(format!("{}/healthz", self.base_url))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        (ok, started.elapsed())
    }
}
