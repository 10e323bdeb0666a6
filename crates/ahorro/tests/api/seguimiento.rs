//! The customer's tracking link: in the checkout answer, the page and its
//! JSON following Tickets' status updates, tampered links, the live
//! stream (also across two instances on one database), `/mis_pedidos`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

fn update(numero: &str, version: i64, estado: &str, extra: Value) -> Value {
    let mut body = json!({"evento": "ticket_actualizado", "numero": numero, "ticket_id": 77, "estado": estado,
        "repartidor": "Repartidor4", "version": version, "fecha_actualizacion": "2026-11-28T10:00:00Z"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn get(client: &reqwest::Client, url: &str, accept_json: bool) -> (StatusCode, String) {
    let mut request = client.get(url);
    if accept_json {
        request = request.header("Accept", "application/json");
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Changes one character of the token's MAC part.
fn tampered(url: &str) -> String {
    let mut bytes = url.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

/// An open `text/event-stream`, read chunk by chunk.
struct Eventos {
    response: reqwest::Response,
    seen: String,
}

impl Eventos {
    async fn open(request: reqwest::RequestBuilder) -> Self {
        let response = request.header("Accept", "text/event-stream").send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { response, seen: String::new() }
    }

    /// Reads until an `estado` event's data contains `needle`, at most
    /// `within`; returns that event's data.
    async fn wait_for(&mut self, needle: &str, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.seen.find("\n\n") {
                let event: String = self.seen.drain(..end + 2).collect();
                let is_estado = event.lines().any(|l| l == "event: estado");
                let data = event.lines().filter_map(|l| l.strip_prefix("data: ")).collect::<Vec<_>>().join("\n");
                if is_estado && data.contains(needle) {
                    return Some(serde_json::from_str(&data).unwrap());
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

async fn the_link_follows_the_ticket(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let client = reqwest::Client::new();

    let (status, answer) = app.checkout(&checkout_body(&[(1, 2)])).await;
    assert_eq!(status, 200, "{answer}");
    for key in ["numero", "cliente", "total", "fecha", "seguimiento_url"] {
        assert!(answer["pedido"].get(key).is_some(), "pedido.{key} missing: {answer}");
    }
    assert_eq!(answer["ticket"]["id"], 77, "the step-7 shape is unchanged");
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let url = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/seguimiento/", app.address)), "absolute: {url}");
    let mac = url.rsplit_once('.').unwrap().1;
    assert!(mac.len() >= 32 && mac.bytes().all(|b| b.is_ascii_hexdigit()), "{url}");

    // Anyone with the link, no session: the order's progress, not the
    // customer's contact data; the link does not leak through Referer.
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.headers().get("referrer-policy").map(|v| v.to_str().unwrap()), Some("no-referrer"));
    let (status, page) = get(&client, &url, false).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&numero) && page.contains("data-estado=\"pendiente\"") && page.contains("Arroz 1kg"),
        "{page}"
    );
    assert!(page.contains("/seguimiento.js") && page.contains("http-equiv=\"refresh\""));
    for private in ["juan@example.com", "011-5555-1234", "Av. Cabildo", "Timbre 3B"] {
        assert!(!page.contains(private), "{private} shown");
    }
    let (status, body) = get(&client, &url, true).await;
    assert_eq!(status, 200);
    let estado: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((estado["numero"].as_str(), estado["estado"].as_str()), (Some(numero.as_str()), Some("pendiente")));
    assert_eq!(estado["version"], 0);
    assert!(estado["actualizado"].as_str().unwrap().ends_with('Z'));
    assert!(estado.get("repartidor").is_some() && estado.get("cliente_email").is_none());

    // Tickets says it is on its way; a late, older update changes nothing.
    let on_the_way = update(&numero, 3, "en-camino", json!({"fecha_en_camino": "2026-11-28T10:00:00Z"}));
    let (status, answer) = app.post_json("/api/tickets", &on_the_way, Some(API_KEY)).await;
    assert_eq!(status, 200, "{answer}");
    let stale = update(&numero, 2, "en-preparacion", json!({"repartidor": "Repartidor1"}));
    assert_eq!(app.post_json("/api/tickets", &stale, Some(API_KEY)).await.0, 200);
    let (_, page) = get(&client, &url, false).await;
    assert!(page.contains("data-estado=\"en-camino\"") && page.contains("Repartidor4"), "{page}");
    assert!(page.contains("28/11/2026 07:00"), "the time it left, in Buenos Aires time: {page}");
    assert!(!page.contains("Repartidor1"));
    let estado: Value = serde_json::from_str(&get(&client, &url, true).await.1).unwrap();
    assert_eq!((estado["estado"].as_str(), estado["version"].as_i64()), (Some("en-camino"), Some(3)));
    assert_eq!(estado["repartidor"], "Repartidor4");
    assert_eq!(estado["fecha_en_camino"], "2026-11-28T10:00:00Z");

    // Cancelled, with its reason.
    let cancelled = update(&numero, 4, "cancelado", json!({"motivo_cancelacion": "No había nadie en el domicilio"}));
    assert_eq!(app.post_json("/api/tickets", &cancelled, Some(API_KEY)).await.0, 200);
    let (_, page) = get(&client, &url, false).await;
    assert!(page.contains("data-estado=\"cancelado\"") && page.contains("No había nadie en el domicilio"), "{page}");

    // A tampered link shows nothing, as a page or as JSON, nor streams.
    let path = url.trim_start_matches(&app.address).to_owned();
    let other_numero = path.replacen(&numero[numero.len() - 1..], if numero.ends_with('A') { "B" } else { "A" }, 1);
    for bad in
        [tampered(&url), format!("{}{other_numero}", app.address), format!("{}/seguimiento/{numero}", app.address)]
    {
        assert_ne!(bad, url);
        for accept_json in [false, true] {
            let (status, body) = get(&client, &bad, accept_json).await;
            assert_eq!(status, 404, "{bad}");
            assert!(!body.contains(&numero) && !body.contains("Arroz") && !body.contains("Repartidor4"), "{body}");
        }
        assert_eq!(get(&client, &format!("{bad}/eventos"), false).await.0, 404);
    }
    app.stop().await;
}
on_both_backends!(the_link_follows_the_ticket);

async fn the_stream_delivers_updates(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (_, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let url = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();

    let client = reqwest::Client::new();
    let mut eventos = Eventos::open(client.get(format!("{url}/eventos"))).await;
    let first =
        eventos.wait_for("\"estado\":\"pendiente\"", Duration::from_secs(5)).await.expect("the current state at once");
    assert_eq!(first["numero"], numero.as_str());

    let started = std::time::Instant::now();
    let on_the_way = update(&numero, 5, "en-camino", json!({}));
    assert_eq!(app.post_json("/api/tickets", &on_the_way, Some(API_KEY)).await.0, 200);
    let event = eventos.wait_for("en-camino", Duration::from_secs(5)).await.expect("the update is pushed");
    assert_eq!((event["version"].as_i64(), event["repartidor"].as_str()), (Some(5), Some("Repartidor4")));
    assert!(started.elapsed() < Duration::from_millis(1500), "pushed, not polled: {:?}", started.elapsed());

    // Stopping the service ends open streams instead of waiting on them.
    tokio::time::timeout(Duration::from_secs(10), app.stop()).await.expect("a graceful stop with a stream open");
    assert!(eventos.wait_for("", Duration::from_secs(2)).await.is_none(), "the stream ended");
}
on_both_backends!(the_stream_delivers_updates);

async fn an_update_on_one_instance_reaches_a_stream_on_another(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let a = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let b = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (_, answer) = a.checkout(&checkout_body(&[(1, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let url = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
    // Both instances share SECRET_KEY: the link works on either.
    let on_b = url.replace(&a.address, &b.address);

    let mut eventos = Eventos::open(reqwest::Client::new().get(format!("{on_b}/eventos"))).await;
    assert!(eventos.wait_for("pendiente", Duration::from_secs(5)).await.is_some());
    let delivered = update(&numero, 7, "entregado", json!({"fecha_entrega": "2026-11-28T11:30:00Z"}));
    assert_eq!(a.post_json("/api/tickets", &delivered, Some(API_KEY)).await.0, 200);
    let event = eventos.wait_for("entregado", Duration::from_secs(8)).await.expect("seen by polling the database");
    assert_eq!(event["fecha_entrega"], "2026-11-28T11:30:00Z");
    drop(eventos);
    b.stop().await;
    a.stop().await;
}
on_both_backends!(an_update_on_one_instance_reaches_a_stream_on_another);

async fn mis_pedidos_links_and_follows_each_order(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut ana = app.browser();
    assert_eq!(ana.register("ana@example.com", &[]).await.status, 303);
    let (status, answer) = ana.post_json("/api/checkout", &json!({"items": [{"producto_id": 2, "cantidad": 1}]})).await;
    assert_eq!(status, 200, "{answer}");
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let url = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
    let path = url.trim_start_matches(&app.address);

    let mine = ana.get("/mis_pedidos").await;
    assert!(mine.body.contains(&format!("href=\"{path}\"")), "{}", mine.body);
    assert!(mine.body.contains("data-eventos=\"/mis_pedidos/eventos\""));
    let confirmation = ana.get(&format!("/pedido/{numero}")).await;
    assert!(confirmation.body.contains(&format!("href=\"{path}\"")), "the confirmation page links it too");

    // Only a logged-in customer gets a stream, of their own orders.
    assert_eq!(get(&reqwest::Client::new(), &format!("{}/mis_pedidos/eventos", app.address), false).await.0, 401);
    let cookie = ana.cookie.clone().unwrap();
    let request = reqwest::Client::new().get(format!("{}/mis_pedidos/eventos", app.address)).header("Cookie", cookie);
    let mut eventos = Eventos::open(request).await;
    assert!(eventos.wait_for(&numero, Duration::from_secs(5)).await.is_some());
    let preparing = update(&numero, 2, "en-preparacion", json!({"repartidor": "Repartidor2"}));
    assert_eq!(app.post_json("/api/tickets", &preparing, Some(API_KEY)).await.0, 200);
    let event = eventos.wait_for("en-preparacion", Duration::from_secs(5)).await.expect("the list follows its orders");
    assert_eq!((event["numero"].as_str(), event["repartidor"].as_str()), (Some(numero.as_str()), Some("Repartidor2")));
    drop(eventos);
    app.stop().await;
}
on_both_backends!(mis_pedidos_links_and_follows_each_order);
