//! The delivery worker against a fake Tickets: down, slow, 5xx, 429
//! (retried until accepted), 401 (parked for an administrator, retried by
//! hand), and Tickets' status updates coming back.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::*;

fn echo_ticket(id: i64) -> impl Fn(&Request) -> ResponseTemplate {
    move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        ResponseTemplate::new(200).set_body_json(ticket_creado(id, body["numero"].as_str().unwrap()))
    }
}

async fn delivered(app: &TestApp) -> bool {
    let (_, health) = app.get_json("/health").await;
    health["envios"]["pendientes"] == 0 && health["envios"]["fallidos"] == 0
}

/// Where nothing listens: connection refused. A privileged port, so no
/// test server (they bind ephemeral ports) can take it meanwhile, as one
/// did with a just-freed ephemeral port when tests ran in parallel.
const NOTHING_LISTENS: &str = "http://127.0.0.1:9";

#[tokio::test]
async fn with_tickets_down_checkout_is_fast_and_the_order_waits() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, NOTHING_LISTENS, &[("CHECKOUT_WAIT_MS", "300")])).await;
    let started = Instant::now();
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!(status, 200, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(1), "checkout took {:?}", started.elapsed());
    assert_eq!(answer["success"], true);
    assert_eq!(answer["ticket"], Value::Null);
    assert!(answer["message"].as_str().unwrap().contains("despacho"));
    let (status, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["ticketera"]["reachable"], false);
    assert_eq!(health["envios"]["pendientes"], 1, "{health}");
    app.stop().await;
}

#[tokio::test]
async fn a_slow_tickets_does_not_hold_checkout_and_still_gets_the_order() {
    let tickets = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(move |req: &Request| echo_ticket(5)(req).set_delay(Duration::from_secs(2)))
        .mount(&tickets)
        .await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[("CHECKOUT_WAIT_MS", "200")])).await;
    let started = Instant::now();
    let (status, answer) = app.checkout(&checkout_body(&[(3, 1)])).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(answer["ticket"], Value::Null);
    assert!(eventually(Duration::from_secs(8), || delivered(&app)).await);
    assert_eq!(posted(&tickets).await.len(), 1);
    app.stop().await;
}

async fn retried_until_accepted(status: u16) {
    let tickets = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(status))
        .up_to_n_times(2)
        .mount(&tickets)
        .await;
    Mock::given(method("POST")).and(path("/api/tickets")).respond_with(echo_ticket(9)).mount(&tickets).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[("CHECKOUT_WAIT_MS", "100")])).await;
    let (_, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!(answer["ticket"], Value::Null);
    // Two failures: about 1 s then 2 s of backoff (with jitter, at most 6 s).
    assert!(eventually(Duration::from_secs(12), || delivered(&app)).await, "never delivered after {status}");
    let received = posted(&tickets).await;
    assert_eq!(received.len(), 3);
    let numero = &answer["pedido"]["numero"];
    for r in &received {
        assert_eq!(&serde_json::from_slice::<Value>(&r.body).unwrap()["numero"], numero);
        assert!(r.headers.get("x-request-id").is_some());
    }
    app.stop().await;
}

#[tokio::test]
async fn a_5xx_is_retried_until_accepted() {
    retried_until_accepted(503).await;
}

#[tokio::test]
async fn a_429_is_retried_until_accepted() {
    retried_until_accepted(429).await;
}

#[tokio::test]
async fn a_401_is_parked_for_an_administrator_and_retried_by_hand() {
    let tickets = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "API key inválida"})))
        .up_to_n_times(1)
        .mount(&tickets)
        .await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[("CHECKOUT_WAIT_MS", "300")])).await;
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ticket"], Value::Null);
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();

    // Parked, visible, and not retried on its own.
    let fallidos = || async {
        let (_, list) = app.get_json("/api/outbox/fallidos").await;
        list
    };
    assert!(eventually(Duration::from_secs(3), || async { fallidos().await["count"] == 1 }).await);
    let list = fallidos().await;
    assert_eq!(list["fallidos"][0]["numero"], numero.as_str());
    assert!(list["fallidos"][0]["ultimo_error"].as_str().unwrap().contains("401"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(posted(&tickets).await.len(), 1);

    // The administrator's endpoints need the API key.
    let response = app.client.get(format!("{}/api/outbox/fallidos", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let id = list["fallidos"][0]["id"].as_i64().unwrap();
    let (status, _) = app.post_json(&format!("/api/outbox/{id}/reintentar"), &json!({}), None).await;
    assert_eq!(status, 401);

    // Fixed on the Tickets side; retried by hand; delivered.
    Mock::given(method("POST")).and(path("/api/tickets")).respond_with(echo_ticket(12)).mount(&tickets).await;
    let (status, answer) = app.post_json(&format!("/api/outbox/{id}/reintentar"), &json!({}), Some(API_KEY)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(eventually(Duration::from_secs(5), || delivered(&app)).await);
    assert_eq!(fallidos().await["count"], 0);
    let (status, _) = app.post_json(&format!("/api/outbox/{id}/reintentar"), &json!({}), Some(API_KEY)).await;
    assert_eq!(status, 404, "only a parked delivery can be retried");
    app.stop().await;
}

#[tokio::test]
async fn tickets_status_updates_reach_the_order() {
    let tickets = MockServer::start().await;
    Mock::given(method("POST")).and(path("/api/tickets")).respond_with(echo_ticket(31)).mount(&tickets).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut browser = app.browser();
    browser.get("/").await;
    let (_, answer) = browser.post_json("/api/checkout", &checkout_body(&[(1, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    assert_eq!(answer["ticket"]["id"], 31);

    let update = |version: i64, estado: &str, repartidor: &str| {
        json!({"evento": "ticket_actualizado", "numero": numero, "ticket_id": 31, "estado": estado,
               "repartidor": repartidor, "version": version, "fecha_actualizacion": "2026-01-01T10:00:00Z"})
    };
    let (status, _) = app.post_json("/api/tickets", &update(3, "en-camino", "Repartidor4"), None).await;
    assert_eq!(status, 401);
    let (status, _) = app.post_json("/api/tickets", &update(3, "en-camino", "Repartidor4"), Some("wrong")).await;
    assert_eq!(status, 401);
    let (status, answer) = app.post_json("/api/tickets", &update(3, "en-camino", "Repartidor4"), Some(API_KEY)).await;
    assert_eq!(status, 200, "{answer}");
    // A late, older update changes nothing.
    let (status, _) = app.post_json("/api/tickets", &update(2, "en-preparacion", "Repartidor1"), Some(API_KEY)).await;
    assert_eq!(status, 200);
    let page = browser.get(&format!("/pedido/{numero}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("En camino"), "{}", page.body);
    assert!(page.body.contains("Repartidor4"));

    // The old plain body works too, on an order no versioned update has
    // reached (one that has is never overridden by it); unknown orders and
    // states are refused.
    let plain = json!({"numero": numero, "estado": "entregado", "repartidor": "Repartidor4"});
    assert_eq!(app.post_json("/api/tickets", &plain, Some(API_KEY)).await.0, 200);
    assert!(browser.get(&format!("/pedido/{numero}")).await.body.contains("En camino"));
    let (_, answer) = browser.post_json("/api/checkout", &checkout_body(&[(2, 1)])).await;
    let otro = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let plain = json!({"numero": otro, "estado": "entregado", "repartidor": "Repartidor4"});
    assert_eq!(app.post_json("/api/tickets", &plain, Some(API_KEY)).await.0, 200);
    assert!(browser.get(&format!("/pedido/{otro}")).await.body.contains("Entregado"));
    let (status, _) =
        app.post_json("/api/tickets", &json!({"numero": "PED-NO-EXISTE", "estado": "entregado"}), Some(API_KEY)).await;
    assert_eq!(status, 404);
    let (status, answer) =
        app.post_json("/api/tickets", &json!({"numero": numero, "estado": "volando"}), Some(API_KEY)).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (400, Some("estado")));
    app.stop().await;
}

#[tokio::test]
async fn health_endpoints() {
    let tickets = MockServer::start().await;
    Mock::given(method("GET")).and(path("/healthz")).respond_with(ResponseTemplate::new(200)).mount(&tickets).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (status, test) = app.get_json("/test").await;
    assert_eq!((status.as_u16(), test["status"].as_str()), (200, Some("ok")));
    let (status, _) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    let (status, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["database"]["ok"], true);
    assert_eq!(health["ticketera"]["reachable"], true);
    assert!(health["ticketera"]["latency_ms"].is_u64());
    app.stop().await;
}
