//! The OpenAPI document (`api/openapi.json`, served at `/api/openapi.json`)
//! against the router and against real answers, with the contract checker
//! both services' tests share (`belgrano_testkit::openapi::Spec`).

use belgrano_ahorro::http::OPENAPI;
use belgrano_testkit::openapi::Spec;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_backends;

fn spec() -> Spec {
    Spec::parse(OPENAPI).expect("the document is JSON")
}

/// The router's routes as (method, path), read from its source: axum
/// cannot list them, and a route added there must show up here by itself.
fn routes() -> Vec<(String, String)> {
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"))];
    let mut files = Vec::new();
    // Handler modules may be directories (`http/admin/`).
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    let mut routes = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        for call in source.split(".route(\"").skip(1) {
            let (path, rest) = call.split_once('"').unwrap();
            let end = [".route_layer(", ".fallback(", ".layer(", ".merge(", ".with_state(", ";"]
                .iter()
                .filter_map(|stop| rest.find(stop))
                .min()
                .unwrap_or(rest.len());
            let handlers = &rest[..end];
            for verb in ["get", "post", "put", "patch", "delete"] {
                // `get(`, not `forget(`.
                let found = handlers.match_indices(&format!("{verb}(")).any(|(at, _)| {
                    at == 0
                        || !(handlers.as_bytes()[at - 1].is_ascii_alphanumeric() || handlers.as_bytes()[at - 1] == b'_')
                });
                if found {
                    routes.push((verb.to_owned(), path.to_owned()));
                }
            }
        }
    }
    routes
}

#[test]
fn the_document_is_openapi_3_1_and_covers_every_api_route() {
    let spec = spec();
    let version = spec.document()["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert_eq!(spec.broken_refs(), Vec::<String>::new());
    let routes = routes();
    assert!(routes.contains(&("post".into(), "/api/checkout".into())), "the router was read: {routes:?}");
    for (method, path) in routes.iter().filter(|(_, p)| p.starts_with("/api/")) {
        assert!(spec.operation(method, path).is_some(), "{method} {path} is a route but is not documented");
    }
    // And nothing is documented that the router does not answer.
    for (path, item) in spec.document()["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(routes.contains(&(method.clone(), path.clone())), "{method} {path} is documented but not routed");
        }
    }
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn real_responses_match_the_openapi_document(backend: Backend) {
    let tickets = MockServer::start().await;
    // The first order is refused for good (parked for a person), the rest accepted.
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "API key inválida"})))
        .up_to_n_times(1)
        .mount(&tickets)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            ResponseTemplate::new(200).set_body_json(ticket_creado(77, body["numero"].as_str().unwrap()))
        })
        .mount(&tickets)
        .await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let spec = spec();

    let served = app.client.get(url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "application/json");
    let served: Value = served.json().await.unwrap();
    assert_eq!(&served, spec.document());
    spec.assert_response("get", "/api/openapi.json", 200u16, &served);

    // Checkout: parked by Tickets (no ticket yet), accepted, refused.
    let body = checkout_body(&[(1, 1)]);
    spec.assert_request("post", "/api/checkout", &body);
    let (status, parked) = app.checkout(&body).await;
    assert_eq!((status, &parked["ticket"]), (StatusCode::OK, &Value::Null), "{parked}");
    spec.assert_response("post", "/api/checkout", status, &parked);
    let (status, accepted) = app.checkout(&checkout_body(&[(2, 3), (1, 1)])).await;
    assert_eq!((status, &accepted["ticket"]["id"]), (StatusCode::OK, &json!(77)), "{accepted}");
    spec.assert_response("post", "/api/checkout", status, &accepted);
    let numero = accepted["pedido"]["numero"].as_str().unwrap().to_owned();
    let (status, refused) = app.checkout(&checkout_body(&[(1, 0)])).await;
    assert_eq!((status.as_u16(), refused["campo"].as_str()), (400, Some("items[0].cantidad")), "{refused}");
    spec.assert_response("post", "/api/checkout", status, &refused);
    let (status, malformed) =
        send(app.client.post(url("/api/checkout")).header("content-type", "application/json").body("{")).await;
    assert_eq!((status.as_u16(), malformed["campo"].as_str()), (400, Some("body")));
    spec.assert_response("post", "/api/checkout", status, &malformed);
    let (status, not_json) =
        send(app.client.post(url("/api/checkout")).header("content-type", "text/plain").body("{}")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    spec.assert_response("post", "/api/checkout", status, &not_json);

    // The parked delivery, listed and put back in the queue.
    let (status, fallidos) = app.get_json("/api/outbox/fallidos").await;
    assert_eq!((status, &fallidos["count"]), (StatusCode::OK, &json!(1)), "{fallidos}");
    spec.assert_response("get", "/api/outbox/fallidos", status, &fallidos);
    let (status, anonymous) = send(app.client.get(url("/api/outbox/fallidos"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    spec.assert_response("get", "/api/outbox/fallidos", status, &anonymous);
    let retry = format!("/api/outbox/{}/reintentar", fallidos["fallidos"][0]["id"]);
    let (status, anonymous) = app.post_json(&retry, &json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    spec.assert_response("post", "/api/outbox/{id}/reintentar", status, &anonymous);
    let (status, requeued) = app.post_json(&retry, &json!({}), Some(API_KEY)).await;
    assert_eq!(status, StatusCode::OK, "{requeued}");
    spec.assert_response("post", "/api/outbox/{id}/reintentar", status, &requeued);
    let (status, missing) = app.post_json("/api/outbox/987654/reintentar", &json!({}), Some(API_KEY)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    spec.assert_response("post", "/api/outbox/{id}/reintentar", status, &missing);

    // Tickets' status updates: versioned and plain, refused without the key.
    let update = json!({
        "evento": "ticket_actualizado", "numero": numero, "ticket_id": 77, "estado": "en-camino",
        "repartidor": "Repartidor2", "version": 2, "fecha_actualizacion": "2026-01-01T10:00:00Z",
        "fecha_en_camino": "2026-01-01T10:00:00Z", "fecha_entrega": null, "motivo_cancelacion": null, "notas_repartidor": null
    });
    let plain = json!({"numero": numero, "estado": "entregado", "repartidor": "Repartidor2"});
    for body in [&update, &plain] {
        spec.assert_request("post", "/api/tickets", body);
        let (status, applied) = app.post_json("/api/tickets", body, Some(API_KEY)).await;
        assert_eq!(status, StatusCode::OK, "{applied}");
        spec.assert_response("post", "/api/tickets", status, &applied);
    }
    for key in [None, Some("not-the-key")] {
        let (status, refused) = app.post_json("/api/tickets", &update, key).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        spec.assert_response("post", "/api/tickets", status, &refused);
    }
    let (status, bad) =
        app.post_json("/api/tickets", &json!({"numero": numero, "estado": "volando"}), Some(API_KEY)).await;
    assert_eq!((status.as_u16(), bad["campo"].as_str()), (400, Some("estado")));
    spec.assert_response("post", "/api/tickets", status, &bad);
    let (status, unknown) =
        app.post_json("/api/tickets", &json!({"numero": "PED-NO-EXISTE", "estado": "entregado"}), Some(API_KEY)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    spec.assert_response("post", "/api/tickets", status, &unknown);

    // Health checks and metrics.
    for path in ["/health", "/healthz", "/test"] {
        let (status, body) = send(app.client.get(url(path))).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        spec.assert_response("get", path, status, &body);
    }
    let (status, refused) = send(app.client.get(url("/metrics"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    spec.assert_response("get", "/metrics", status, &refused);
    assert!(spec.document()["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["text/plain"].is_object());
    crate::metrics::scrape(&app).await;
    app.stop().await;
}
on_both_backends!(real_responses_match_the_openapi_document);
