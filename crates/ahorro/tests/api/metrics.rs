//! `GET /metrics`: behind the service key, Prometheus text with requests
//! by route, delivery attempts by outcome and the outbox read at scrape
//! time. The recorder is one per process and this binary runs many Ahorros,
//! so counters are compared before and after, never as totals.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

const ATTEMPTS: &str = "outbox_delivery_attempts_total";

/// Gauges are set in the shared recorder by whichever Ahorro is scraped, so
/// scrapes take turns: another test's scrape could otherwise overwrite ours
/// between setting the gauges and rendering them.
static SCRAPES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `GET /metrics` with the key: the Prometheus text.
pub async fn scrape(app: &TestApp) -> String {
    let _turn = SCRAPES.lock().await;
    let response =
        app.client.get(format!("{}/metrics", app.address)).header("X-API-Key", API_KEY).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// The sum of the samples of series `name` whose labels include every pair
/// of `labels`; `None` when there is no such series.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let values: Vec<f64> = text
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .filter(|line| labels.iter().all(|(k, v)| line.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

fn attempts(text: &str, outcome: &str) -> f64 {
    sample(text, ATTEMPTS, &[("service", "ahorro"), ("outcome", outcome)]).unwrap_or(0.0)
}

fn gauge(text: &str, name: &str) -> Option<f64> {
    sample(text, name, &[("service", "ahorro")])
}

async fn metrics_need_the_key_and_count_requests_and_deliveries(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;

    for key in [None, Some("not-the-key")] {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "key {key:?}");
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"error": "API key inválida"}));
    }

    let before = scrape(&app).await;
    let (status, answer) = app.checkout(&checkout_body(&[(1, 2)])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ticket"]["id"], 77, "delivered while the checkout waited: {answer}");
    // A customer follows the order live.
    let tracking = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
    let stream = app.client.get(format!("{tracking}/eventos")).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    let text = scrape(&app).await;
    assert!(attempts(&text, "delivered") >= attempts(&before, "delivered") + 1.0, "{text}");
    for expected in [
        r#"http_requests_total{service="ahorro",route="/api/checkout",method="POST",status="200"}"#,
        r#"http_request_duration_seconds_bucket{service="ahorro",route="/api/checkout",method="POST",status="200""#,
        r#"http_requests_total{service="ahorro",route="/seguimiento/{token}/eventos",method="GET",status="200"}"#,
        r#"http_requests_total{service="ahorro",route="/metrics",method="GET",status="401"}"#,
        r#"outbox_delivery_attempts_total{service="ahorro",outcome="delivered"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // Route templates, never raw paths: the tracking token stays out.
    let token = tracking.rsplit('/').next().unwrap();
    assert!(!text.contains(token), "{text}");
    assert_eq!(gauge(&text, "outbox_pending"), Some(0.0));
    assert_eq!(gauge(&text, "outbox_oldest_pending_seconds"), Some(0.0));
    assert_eq!(gauge(&text, "outbox_failed"), Some(0.0));
    assert_eq!(sample(&text, "pedidos", &[("service", "ahorro"), ("estado", "pendiente")]), Some(1.0));
    assert_eq!(sample(&text, "pedidos", &[("service", "ahorro"), ("estado", "entregado")]), Some(0.0));
    assert_eq!(gauge(&text, "tracking_stream_clients"), Some(1.0));
    drop(stream);
    app.stop().await;
}
on_both_backends!(metrics_need_the_key_and_count_requests_and_deliveries);

async fn refused_deliveries_show_as_retries_failures_and_a_backlog(backend: Backend) {
    let tickets = MockServer::start().await;
    // The first order is refused for good, every later attempt finds Tickets down.
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "API key inválida"})))
        .up_to_n_times(1)
        .mount(&tickets)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&tickets)
        .await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;

    let before = scrape(&app).await;
    for _ in 0..2 {
        let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["ticket"], Value::Null);
    }
    // Let the waiting order age measurably.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let text = scrape(&app).await;
    assert!(text.contains(r#"outbox_delivery_attempts_total{service="ahorro",outcome="retry"}"#), "{text}");
    assert!(attempts(&text, "retry") >= attempts(&before, "retry") + 1.0, "{text}");
    assert!(attempts(&text, "failed") >= attempts(&before, "failed") + 1.0, "{text}");
    assert_eq!(gauge(&text, "outbox_pending"), Some(1.0), "{text}");
    assert_eq!(gauge(&text, "outbox_failed"), Some(1.0), "{text}");
    let age = gauge(&text, "outbox_oldest_pending_seconds").unwrap();
    assert!((0.1..60.0).contains(&age), "oldest pending {age} s");
    app.stop().await;
}
on_both_backends!(refused_deliveries_show_as_retries_failures_and_a_backlog);
