//! `GET /metrics` (API key): Prometheus text. Request counts and latencies
//! come from the middleware; the gauges below are read at scrape time.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::error::ApiError;
use belgrano_platform::http::ServiceAuth;

pub async fn render(State(state): State<AppState>, _auth: ServiceAuth) -> Result<impl IntoResponse, ApiError> {
    let handle = belgrano_platform::telemetry::prometheus();
    for (estado, count) in state.store.count_by_state().await? {
        metrics::gauge!("tickets", "service" => "tickets", "estado" => estado.as_str()).set(count as f64);
    }
    let outbox = state.store.notify_outbox().stats().await?;
    metrics::gauge!("outbox_pending", "service" => "tickets").set(outbox.pending as f64);
    metrics::gauge!("outbox_oldest_pending_seconds", "service" => "tickets")
        .set(outbox.oldest_pending_secs.unwrap_or(0.0));
    metrics::gauge!("outbox_failed", "service" => "tickets").set(outbox.failed as f64);
    metrics::gauge!("socket_clients", "service" => "tickets").set(state.broadcaster.connected_clients().await as f64);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()))
}
