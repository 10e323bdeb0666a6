//! Orders in the back office through real HTTP on both backends: the
//! filters of `/admin/pedidos` and `/api/admin/pedidos` (state, dates,
//! store, customer, payment), each order's ticket and history, the CSV for
//! the accountant, the dashboard, and a parked delivery found on
//! `/admin/envios` and retried from there.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::admin_acceso::{ADMIN, admin_settings, login};
use crate::helpers::*;
use crate::on_both_backends;

/// Two products of different stores from the bundled catalogue, with stock.
fn two_stores() -> ((i64, String), (i64, String)) {
    let catalogo: Value = serde_json::from_str(include_str!("../../catalogo.json")).unwrap();
    let productos = catalogo.as_array().cloned().unwrap_or_else(|| catalogo["productos"].as_array().unwrap().clone());
    let with_stock = |p: &&Value| p["stock"].as_i64().unwrap_or(0) >= 5;
    let a = productos.iter().find(with_stock).unwrap();
    let b = productos.iter().filter(with_stock).find(|p| p["negocio"] != a["negocio"]).unwrap();
    let pick = |p: &Value| (p["id"].as_i64().unwrap(), p["negocio"].as_str().unwrap().to_owned());
    (pick(a), pick(b))
}

async fn orders_are_filtered_exported_and_show_their_history(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Tickets is down: the orders wait in the outbox, which is fine here.
    let app = TestApp::start(admin_settings(&db, "http://127.0.0.1:9", ADMIN.1)).await;
    let ((pa, negocio_a), (pb, negocio_b)) = two_stores();
    let (status, juan) = app.checkout(&checkout_body(&[(pa, 2)])).await;
    assert_eq!(status, 200, "{juan}");
    let juan = juan["pedido"]["numero"].as_str().unwrap().to_owned();
    let mut body = checkout_body(&[(pb, 1)]);
    body["cliente"] =
        json!({"nombre": "Marta", "apellido": "Gómez", "email": "marta@example.com", "telefono": "011-4444-1111"});
    body["metodo_pago"] = json!("tarjeta");
    let (status, marta) = app.checkout(&body).await;
    assert_eq!(status, 200, "{marta}");
    let marta = marta["pedido"]["numero"].as_str().unwrap().to_owned();
    // Tickets reports on Marta's order: a newer update, then a late one.
    let update = |version: i64, estado: &str, repartidor: &str| {
        json!({"evento": "ticket_actualizado", "numero": marta, "ticket_id": 7, "estado": estado,
               "repartidor": repartidor, "version": version, "fecha_actualizacion": "2026-01-01T10:00:00Z"})
    };
    assert_eq!(app.post_json("/api/tickets", &update(3, "en-camino", "Repartidor2"), Some(API_KEY)).await.0, 200);
    assert_eq!(app.post_json("/api/tickets", &update(2, "en-preparacion", "Repartidor1"), Some(API_KEY)).await.0, 200);

    let mut admin = app.browser();
    login(&mut admin, ADMIN.0, ADMIN.1).await;
    let (all, body) = list(&admin, "").await;
    assert_eq!(all, vec![marta.clone(), juan.clone()], "newest first");
    assert_eq!(body["total"], 2);
    assert_eq!(list(&admin, "?metodo_pago=tarjeta").await.0, vec![marta.clone()]);
    assert_eq!(list(&admin, "?cliente=JUAN").await.0, vec![juan.clone()]);
    assert_eq!(list(&admin, "?cliente=marta%40example").await.0, vec![marta.clone()]);
    assert_eq!(list(&admin, "?estado=en-camino").await.0, vec![marta.clone()]);
    assert_eq!(list(&admin, "?estado=pendiente").await.0, vec![juan.clone()]);
    let (by_store, _) = api(&admin, Method::GET, &format!("/api/admin/pedidos?negocio={negocio_a}"), None, None).await;
    assert_eq!(by_store, StatusCode::OK);
    let (_, a) = api(&admin, Method::GET, &format!("/api/admin/pedidos?negocio={negocio_a}"), None, None).await;
    assert_eq!(a["pedidos"].as_array().unwrap().len(), 1);
    assert_eq!(a["pedidos"][0]["numero"], juan.as_str());
    let (_, b) = api(&admin, Method::GET, &format!("/api/admin/pedidos?negocio={negocio_b}"), None, None).await;
    assert_eq!(b["pedidos"][0]["numero"], marta.as_str());
    let today = (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(list_dates(&admin, today, today).await, 2, "today's Buenos Aires day holds both");
    assert_eq!(list_dates(&admin, tomorrow, tomorrow).await, 0);
    assert_eq!(list(&admin, "?limit=1").await.0, vec![marta.clone()]);
    assert_eq!(list(&admin, "?limit=1&offset=1").await.0, vec![juan.clone()]);
    // A bad filter names its field.
    for (query, campo) in
        [("?estado=perdido", "estado"), ("?desde=ayer", "desde"), ("?metodo_pago=bitcoin", "metodo_pago")]
    {
        let (status, body) = api(&admin, Method::GET, &format!("/api/admin/pedidos{query}"), None, None).await;
        assert_eq!((status, body["campo"].as_str()), (StatusCode::BAD_REQUEST, Some(campo)), "{query}");
    }

    // The order's lines, ticket and history (the late update kept, not applied).
    let (_, body) = list(&admin, "?metodo_pago=tarjeta").await;
    let p = &body["pedidos"][0];
    assert_eq!(p["items"][0]["producto_id"], pb);
    assert_eq!(
        (p["ticket"]["estado"].as_str(), p["ticket"]["repartidor"].as_str()),
        (Some("en-camino"), Some("Repartidor2"))
    );
    let historial = p["historial"].as_array().unwrap();
    assert_eq!(historial.len(), 2, "{p}");
    assert_eq!((historial[0]["estado"].as_str(), historial[0]["aplicado"].as_bool()), (Some("en-camino"), Some(true)));
    assert_eq!(
        (historial[1]["estado"].as_str(), historial[1]["aplicado"].as_bool()),
        (Some("en-preparacion"), Some(false))
    );

    // The page: filters, lines, ticket, history.
    let page = admin.get("/admin/pedidos?metodo_pago=tarjeta").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&marta) && !page.body.contains(&juan), "{}", page.body);
    assert!(page.body.contains("Repartidor2") && page.body.contains("no se aplicó"));
    assert!(page.body.contains("/api/admin/pedidos.csv?metodo_pago=tarjeta"));
    let page = admin.get("/admin/pedidos?desde=ayer").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("AAAA-MM-DD"));

    // The CSV: Spanish headers, `;`, one line per order, decimal comma.
    let response = reqwest::Client::new()
        .get(format!("{}/api/admin/pedidos.csv?metodo_pago=tarjeta", app.address))
        .header("Cookie", admin.cookie.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("Número;Fecha;Estado;Cliente;Email"), "{}", lines[0]);
    assert!(lines[1].starts_with(&format!("{marta};")) && lines[1].contains(";Marta Gómez;marta@example.com;"));
    assert!(lines[1].contains(";Tarjeta;") && lines[1].contains(";En camino;"), "{}", lines[1]);
    let total = body["pedidos"][0]["total"].as_f64().unwrap();
    assert!(lines[1].contains(&format!(";{},{:02};", total.trunc() as i64, ((total.fract() * 100.0).round() as i64))));
    let all_csv = reqwest::Client::new()
        .get(format!("{}/api/admin/pedidos.csv", app.address))
        .header("Cookie", admin.cookie.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(all_csv.lines().count(), 3);

    // The dashboard counts today's orders.
    let panel = admin.get("/admin").await;
    assert_eq!(panel.status, StatusCode::OK);
    assert!(panel.body.contains("<b>2</b>pedidos hoy"), "{}", panel.body);
    assert!(panel.body.contains("<svg"), "the charts are inline SVG");
    app.stop().await;
}
on_both_backends!(orders_are_filtered_exported_and_show_their_history);

async fn list_dates(admin: &Browser, desde: chrono::NaiveDate, hasta: chrono::NaiveDate) -> usize {
    let (status, body) =
        api(admin, Method::GET, &format!("/api/admin/pedidos?desde={desde}&hasta={hasta}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["pedidos"].as_array().unwrap().len()
}

async fn parked(admin: &Browser) -> Value {
    api(admin, Method::GET, "/api/admin/envios", None, None).await.1
}

/// The numeros `/api/admin/pedidos{query}` lists, and its whole answer.
async fn list(admin: &Browser, query: &str) -> (Vec<String>, Value) {
    let (status, body) = api(admin, Method::GET, &format!("/api/admin/pedidos{query}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let numeros =
        body["pedidos"].as_array().unwrap().iter().map(|p| p["numero"].as_str().unwrap().to_owned()).collect();
    (numeros, body)
}

fn echo_ticket(id: i64) -> impl Fn(&Request) -> ResponseTemplate {
    move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        ResponseTemplate::new(200).set_body_json(ticket_creado(id, body["numero"].as_str().unwrap()))
    }
}

async fn a_parked_delivery_is_retried_from_the_page(backend: Backend) {
    let tickets = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"error": "dato inválido", "campo": "total"})))
        .up_to_n_times(1)
        .mount(&tickets)
        .await;
    let db = TestDb::new(backend).await;
    let mut s = admin_settings(&db, &tickets.uri(), ADMIN.1);
    s.checkout_wait = Duration::from_millis(300);
    let app = TestApp::start(s).await;
    let ((pa, _), _) = two_stores();
    let (_, answer) = app.checkout(&checkout_body(&[(pa, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();

    let mut admin = app.browser();
    login(&mut admin, ADMIN.0, ADMIN.1).await;
    assert!(eventually(Duration::from_secs(5), || async { parked(&admin).await["count"] == 1 }).await);
    let id = parked(&admin).await["fallidos"][0]["id"].as_i64().unwrap();
    let page = admin.get("/admin/envios").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&numero) && page.body.contains("422") && page.body.contains("Reintentar"),
        "{}",
        page.body
    );
    assert!(admin.get("/admin").await.body.contains("<b>1</b>envíos fallidos"));

    // Without the form's token: refused, still parked.
    let page = admin.post(&format!("/admin/envios/{id}/reintentar"), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(parked(&admin).await["count"], 1);

    // Tickets is fixed; "Reintentar" sends it again.
    Mock::given(method("POST")).and(path("/api/tickets")).respond_with(echo_ticket(44)).mount(&tickets).await;
    let page = admin.post_csrf(&format!("/admin/envios/{id}/reintentar"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some(format!("/admin/envios?reintentado={id}").as_str()));
    assert!(admin.get(page.location.as_deref().unwrap()).await.body.contains("volvió a la cola"));
    let delivered = || async {
        let (_, body) = api(&admin, Method::GET, "/api/admin/pedidos?cliente=juan", None, None).await;
        body["pedidos"][0]["ticket"]["id"] == 44
    };
    assert!(eventually(Duration::from_secs(5), delivered).await, "delivered after the retry");
    assert_eq!(parked(&admin).await["count"], 0);
    assert!(admin.get("/admin/envios").await.body.contains("No hay envíos fallidos"));
    // The ticket's creation is in the order's history.
    let (_, body) = api(&admin, Method::GET, "/api/admin/pedidos", None, None).await;
    assert_eq!(body["pedidos"][0]["historial"][0]["evento"], "ticket_creado");
    // Retrying what is not parked: 404, from the page too.
    assert_eq!(admin.post_csrf(&format!("/admin/envios/{id}/reintentar"), &[]).await.status, StatusCode::NOT_FOUND);
    app.stop().await;
}
on_both_backends!(a_parked_delivery_is_retried_from_the_page);
