//! `POST /api/checkout`: the seed's step-7 answer, server-side prices,
//! validation that names the field, stock that never goes below zero,
//! unique order numbers under concurrency.

use std::collections::HashSet;

use belgrano_contract::ticket::Numero;
use serde_json::{Value, json};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_backends;

/// A fake Tickets that accepts everything, answering with the posted numero.
pub async fn accepting_tickets() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .and(wiremock::matchers::header("X-API-Key", API_KEY))
        .and(header_exists("X-Request-ID"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            ResponseTemplate::new(200).set_body_json(ticket_creado(77, body["numero"].as_str().unwrap()))
        })
        .mount(&server)
        .await;
    server
}

async fn answers_the_seed_shape_with_server_prices(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;

    let mut body = checkout_body(&[(1, 2), (2, 1)]);
    // Money from the client is ignored.
    body["total"] = json!(1);
    body["items"][0]["precio"] = json!(1);
    let (status, answer) = app.checkout(&body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    assert!(numero.starts_with("PED-") && Numero::parse(&numero).is_ok());
    assert_eq!(answer["pedido"]["cliente"], "Juan Pérez");
    // A flat address is priced at Belgrano: $ 1.500 of delivery.
    assert_eq!(answer["pedido"]["total"], 950.0 * 2.0 + 1800.0 + 1500.0);
    assert!(answer["pedido"]["fecha"].as_str().unwrap().ends_with('Z'));
    assert_eq!(answer["ticket"]["id"], 77);
    assert_eq!(answer["ticket"]["numero"], numero.as_str());
    assert_eq!(answer["ticket"]["estado"], "pendiente");
    assert_eq!(answer["ticket"]["repartidor"], "Repartidor1");
    assert_eq!(answer["ticket"]["fecha_creacion"], "2024-12-01T12:34:56Z");
    for key in ["success", "message", "pedido", "ticket"] {
        assert!(answer.get(key).is_some(), "{key} missing");
    }

    // What Tickets received: the seed's step-2 body, products as objects.
    let received = posted(&tickets).await;
    assert_eq!(received.len(), 1);
    let sent: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent["numero"], numero.as_str());
    assert_eq!(sent["cliente_nombre"], "Juan Pérez");
    assert_eq!(sent["cliente_direccion"], "Av. Cabildo 1234");
    assert_eq!(sent["cliente_telefono"], "011-5555-1234");
    assert_eq!(sent["cliente_email"], "juan@example.com");
    assert_eq!(sent["total"], 5200.0);
    assert_eq!(sent["entrega"]["barrio"], "Belgrano");
    assert_eq!(sent["entrega"]["costo_envio"], 1500.0);
    assert!(sent["entrega"]["franja"]["desde"].as_str().unwrap().ends_with("-03:00"), "{sent}");
    assert_eq!(sent["cobro"], json!({"metodo": "efectivo", "monto": 5200.0}));
    assert_eq!(sent["metodo_pago"], "efectivo");
    assert_eq!(sent["indicaciones"], "Timbre 3B");
    assert_eq!(sent["estado"], "pendiente");
    assert_eq!(sent["prioridad"], "normal");
    assert_eq!(sent["tipo_cliente"], "cliente");
    let line = &sent["productos"][0];
    for (key, value) in [
        ("id", json!(1)),
        ("nombre", json!("Arroz 1kg")),
        ("precio", json!(950.0)),
        ("cantidad", json!(2)),
        ("subtotal", json!(1900.0)),
        ("negocio", json!("belgrano_ahorro")),
    ] {
        assert_eq!(line[key], value, "{key}: {line}");
    }
    // Where dispatch picks the line up.
    assert!(line["negocio_nombre"].as_str().is_some_and(|n| !n.is_empty()), "{line}");
    assert!(line["categoria"].as_str().is_some_and(|c| !c.is_empty()), "{line}");
    assert!(line["sucursal"]["direccion"].as_str().is_some_and(|d| !d.is_empty()), "{line}");
    assert_eq!(sent["productos"][1]["nombre"], "Aceite 900ml");
    app.stop().await;
}
on_both_backends!(answers_the_seed_shape_with_server_prices);

async fn bad_input_names_the_field_and_moves_nothing(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = checkout_body(&[(1, 2)]);
        f(&mut b);
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (checkout_body(&[(99999, 1)]), "items[0].producto_id"),
        (checkout_body(&[(1, 0)]), "items[0].cantidad"),
        (checkout_body(&[(1, -3)]), "items[0].cantidad"),
        (checkout_body(&[(1, 51)]), "items[0].cantidad"),
        (checkout_body(&[(2, 1), (1, 500)]), "items[1].cantidad"),
        (checkout_body(&[]), "items"),
        (with(&|b| b["items"] = json!("pan")), "items"),
        (with(&|b| b["items"] = json!([{"producto_id": "x", "cantidad": 1}])), "items[0].producto_id"),
        (with(&|b| b["direccion"] = json!("")), "direccion"),
        (with(&|b| b["metodo_pago"] = json!("bitcoin")), "metodo_pago"),
        (with(&|b| b["cliente"]["email"] = json!("no-es-email")), "cliente.email"),
        (with(&|b| b["cliente"]["nombre"] = json!(" ")), "cliente.nombre"),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("cliente");
            }),
            "cliente",
        ),
        (json!([1, 2]), "body"),
    ];
    for (body, campo) in cases {
        let (status, answer) = app.checkout(&body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["campo"], campo, "{body} → {answer}");
        assert_eq!(answer["success"], false);
    }
    // Malformed JSON and a wrong content type.
    let response = app
        .client
        .post(format!("{}/api/checkout", app.address))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["campo"], "body");
    assert!(!answer.to_string().contains("line"), "no parser internals: {answer}");
    let response = app.client.post(format!("{}/api/checkout", app.address)).body("a=b").send().await.unwrap();
    assert_eq!(response.status(), 415);

    // Nothing was ordered and no stock moved: product 1 can still sell all 50.
    assert!(posted(&tickets).await.is_empty());
    let (status, answer) = app.checkout(&checkout_body(&[(1, 50)])).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (400, Some("items[0].cantidad")), "{answer}");
    assert!(answer["detalle"].as_str().unwrap().contains("stock"));
    app.stop().await;
}
on_both_backends!(bad_input_names_the_field_and_moves_nothing);

async fn concurrent_checkouts_never_oversell_and_get_unique_numbers(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[("CHECKOUT_WAIT_MS", "0")])).await;
    // Product 2 (Aceite) starts with 45 units; 60 buyers want one each.
    let body = checkout_body(&[(2, 1), (1, 1)]);
    let attempts = futures_util::future::join_all((0..60).map(|_| app.checkout(&body))).await;
    let ok: Vec<&Value> = attempts.iter().filter(|(s, _)| *s == 200).map(|(_, b)| b).collect();
    let refused = attempts.iter().filter(|(s, b)| *s == 400 && b["campo"] == "items[0].cantidad").count();
    assert_eq!(ok.len(), 45, "{attempts:?}");
    assert_eq!(refused, 15);
    let numeros: HashSet<&str> = ok.iter().map(|b| b["pedido"]["numero"].as_str().unwrap()).collect();
    assert_eq!(numeros.len(), 45);
    assert!(numeros.iter().all(|n| Numero::parse(n).is_ok()));
    // Every committed order reaches Tickets exactly once.
    assert!(eventually(std::time::Duration::from_secs(10), || async { posted(&tickets).await.len() >= 45 }).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received = posted(&tickets).await;
    let sent: HashSet<String> = received
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["numero"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(received.len(), 45);
    assert_eq!(sent.len(), 45);
    app.stop().await;
}
on_both_backends!(concurrent_checkouts_never_oversell_and_get_unique_numbers);
