//! `GET /metrics` (API key): Prometheus text. Request counts and latencies
//! come from the platform's middleware, delivery attempts from the outbox
//! worker; the gauges below are read at scrape time.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use belgrano_contract::Estado;
use belgrano_platform::http::ServiceAuth;
use belgrano_platform::telemetry;

use super::error::ApiError;
use super::state::AppState;

pub async fn render(State(state): State<AppState>, _auth: ServiceAuth) -> Result<impl IntoResponse, ApiError> {
    let handle = telemetry::prometheus();
    let (outbox, pedidos) = tokio::try_join!(state.store.outbox().stats(), state.store.pedidos_por_estado())?;
    metrics::gauge!("outbox_pending", "service" => "ahorro").set(outbox.pending as f64);
    metrics::gauge!("outbox_oldest_pending_seconds", "service" => "ahorro")
        .set(outbox.oldest_pending_secs.unwrap_or(0.0));
    metrics::gauge!("outbox_failed", "service" => "ahorro").set(outbox.failed as f64);
    // Every state, so one that emptied reads 0 instead of its last count.
    for estado in Estado::ALL {
        let count = pedidos.iter().find(|(e, _)| e == estado).map_or(0, |(_, n)| *n);
        metrics::gauge!("pedidos", "service" => "ahorro", "estado" => estado.as_str()).set(count as f64);
    }
    metrics::gauge!("tracking_stream_clients", "service" => "ahorro").set(state.novedades.streams() as f64);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()))
}
