//! Merchants' bundles (paquetes) over real HTTP, with a manual clock
//! (`belgrano_platform::clock`) in the settings and the scheduler ticking
//! every second: a weekly bundle becomes exactly one `alta` order a week
//! (also with two instances on one database), a long sleep places it once
//! and moves on, a line out of stock is left out and named in the mail,
//! nothing available mails why, "Pedir ahora" once a day, pause; the
//! API's refusals (401, 403, 404 for another merchant's, fields named);
//! the page and the old `/comerciantes/*` addresses.

use std::time::Duration;

use belgrano_platform::clock::Clock;
use belgrano_platform::db::sql;
use belgrano_testkit::smtp::SmtpServer;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

/// Wednesday 2 December 2026, noon in Buenos Aires.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T15:00:00Z").unwrap().to_utc()
}

fn with_clock(db: &TestDb, tickets: &str, clock: &Clock, extra: &[(&str, &str)]) -> belgrano_ahorro::Settings {
    let mut vars = vec![("PAQUETES_INTERVALO_SEGUNDOS", "1")];
    vars.extend_from_slice(extra);
    let mut s = settings(db, tickets, &vars);
    s.clock = clock.clone();
    s
}

/// A merchant registered and logged in, and their CSRF token.
async fn merchant(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = app.browser();
    let extra =
        [("comerciante", "si"), ("nombre_negocio", "Kiosco Ana"), ("tipo_negocio", "kiosco"), ("cuit", "20123456786")];
    assert_eq!(b.register(email, &extra).await.status, 303);
    let csrf = b.get("/carrito").await.csrf();
    (b, csrf)
}

fn weekly(items: &[(i64, i64)]) -> Value {
    json!({
        "nombre": "Reposición semanal",
        "frecuencia": "semanal",
        "direccion": "Av. Cabildo 1234",
        "items": items.iter().map(|(id, q)| json!({"producto_id": id, "cantidad": q})).collect::<Vec<_>>(),
    })
}

/// [`api`], and its answer checked against the OpenAPI document.
async fn call(b: &Browser, method: Method, path: &str, body: Option<Value>, csrf: Option<&str>) -> (StatusCode, Value) {
    let (status, answer) = api(b, method.clone(), path, body, csrf).await;
    let mut template: Vec<&str> = path.split('/').collect();
    if template.len() > 3 {
        template[3] = "{id}";
    }
    let spec = belgrano_testkit::openapi::Spec::parse(belgrano_ahorro::http::OPENAPI).unwrap();
    spec.assert_response(&method.as_str().to_lowercase(), &template.join("/"), status.as_u16(), &answer);
    (status, answer)
}

async fn create(b: &Browser, csrf: &str, body: Value) -> Value {
    let (status, answer) = call(b, Method::POST, "/api/paquetes", Some(body), Some(csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["paquete"].clone()
}

async fn tickets_posted(server: &wiremock::MockServer) -> Vec<Value> {
    posted(server).await.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

async fn wait_tickets(server: &wiremock::MockServer, n: usize) -> Vec<Value> {
    let reached = eventually(Duration::from_secs(20), || async { tickets_posted(server).await.len() >= n }).await;
    assert!(reached, "{n} tickets reach Tickets");
    tickets_posted(server).await
}

/// Both schedulers tick every second: time for a repeat to show up.
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

async fn a_weekly_bundle_is_ordered_once_a_week_as_alta(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let clock = Clock::manual(t0());
    let app = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &[])).await;
    let (mut b, csrf) = merchant(&app, "ana@kiosco.com").await;
    let p = create(&b, &csrf, weekly(&[(1, 2), (3, 1)])).await;
    assert_eq!(p["proxima_fecha"], "2026-12-09", "a week from today by default: {p}");
    assert_eq!(p["activo"], true);
    a_few_ticks().await;
    assert!(tickets_posted(&tickets).await.is_empty(), "not due yet");

    clock.advance(chrono::Duration::days(7));
    let sent = wait_tickets(&tickets, 1).await;
    assert_eq!(sent[0]["prioridad"], "alta");
    assert_eq!(sent[0]["tipo_cliente"], "comerciante");
    assert_eq!(sent[0]["productos"].as_array().unwrap().len(), 2);
    assert!(sent[0]["indicaciones"].as_str().unwrap().contains("Reposición semanal"), "{}", sent[0]);
    a_few_ticks().await;
    assert_eq!(tickets_posted(&tickets).await.len(), 1, "once per period");
    let (_, list) = call(&b, Method::GET, "/api/paquetes", None, None).await;
    assert_eq!(list["paquetes"][0]["proxima_fecha"], "2026-12-16", "{list}");
    // The order is the merchant's.
    let page = b.get("/comerciantes").await;
    let numero = sent[0]["numero"].as_str().unwrap();
    assert!(page.body.contains(numero), "the order and the run are on the page");

    // The next week: the second one.
    clock.advance(chrono::Duration::days(7));
    assert_eq!(wait_tickets(&tickets, 2).await.len(), 2);
    a_few_ticks().await;
    assert_eq!(tickets_posted(&tickets).await.len(), 2);
    app.stop().await;
}
on_both_backends!(a_weekly_bundle_is_ordered_once_a_week_as_alta);

async fn two_instances_order_a_due_bundle_once(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let clock = Clock::manual(t0());
    let a = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &[])).await;
    let b_app = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &[])).await;
    let (b, csrf) = merchant(&a, "ana@kiosco.com").await;
    for n in 0..5 {
        let mut body = weekly(&[(1 + n, 1)]);
        body["nombre"] = json!(format!("Paquete {n}"));
        create(&b, &csrf, body).await;
    }
    clock.advance(chrono::Duration::days(7));
    wait_tickets(&tickets, 5).await;
    a_few_ticks().await;
    let sent = tickets_posted(&tickets).await;
    assert_eq!(sent.len(), 5, "each bundle once, though both instances ticked");
    let mut numeros: Vec<&str> = sent.iter().map(|t| t["numero"].as_str().unwrap()).collect();
    numeros.dedup();
    assert_eq!(numeros.len(), 5);
    a.stop().await;
    b_app.stop().await;
}
on_both_backends!(two_instances_order_a_due_bundle_once);

async fn left_out_lines_a_long_sleep_and_nothing_available_are_mailed(backend: Backend) {
    let tickets = accepting_tickets().await;
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(backend).await;
    let clock = Clock::manual(t0());
    let url = smtp.url();
    let extra = [("SMTP_URL", url.as_str()), ("MAIL_FROM", "Belgrano Ahorro <pedidos@belgrano.test>")];
    let app = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &extra)).await;
    let (mut b, csrf) = merchant(&app, "ana@kiosco.com").await;
    let p = create(&b, &csrf, weekly(&[(1, 2), (2, 1)])).await;
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    sql("UPDATE productos SET stock = 0 WHERE id = 2").execute(store.db().write()).await.unwrap();
    let (nombre_2,): (String,) =
        sql("SELECT nombre FROM productos WHERE id = 2").fetch_one(store.db().read()).await.unwrap();

    // Asleep for a month: placed once, on waking, and the mail says so.
    clock.advance(chrono::Duration::days(30));
    let sent = wait_tickets(&tickets, 1).await;
    assert_eq!(sent[0]["productos"].as_array().unwrap().len(), 1, "without the one out of stock");
    assert_eq!(sent[0]["productos"][0]["id"], 1);
    a_few_ticks().await;
    assert_eq!(tickets_posted(&tickets).await.len(), 1, "one order, not one per missed week");
    let (_, got) = call(&b, Method::GET, &format!("/api/paquetes/{}", p["id"]), None, None).await;
    // Due 9/12, woken 1/1/2027: the next weekly date after today.
    assert_eq!(got["paquete"]["proxima_fecha"], "2027-01-06", "{got}");
    let mails = smtp.wait_for("ana@kiosco.com", 1, Duration::from_secs(20)).await;
    let m = mails.iter().find(|m| m.subject.contains("Reposición semanal")).expect("the bundle's mail");
    for part in [&m.text, &m.html] {
        assert!(part.contains("estaba programado para el miércoles 09/12/2026"), "{part}");
        assert!(part.contains("Quedaron afuera") && part.contains(&nombre_2) && part.contains("sin stock"), "{part}");
        assert!(part.contains(sent[0]["numero"].as_str().unwrap()));
    }

    // Nothing available: no order, and the mail says why.
    sql("UPDATE productos SET stock = 0 WHERE id = 1").execute(store.db().write()).await.unwrap();
    clock.advance(chrono::Duration::days(5));
    let reached = eventually(Duration::from_secs(20), || async {
        smtp.messages_to("ana@kiosco.com").await.iter().any(|m| m.subject.contains("no se pudo pedir"))
    })
    .await;
    assert!(reached, "a mail says the bundle could not be ordered");
    let all = smtp.messages_to("ana@kiosco.com").await;
    let m = all.iter().find(|m| m.subject.contains("no se pudo pedir")).unwrap();
    assert!(m.text.contains("ningún producto del paquete estaba disponible"), "{}", m.text);
    a_few_ticks().await;
    assert_eq!(tickets_posted(&tickets).await.len(), 1, "no order for nothing");
    let page = b.get("/comerciantes").await;
    assert!(page.body.contains("sin pedido: ningún producto del paquete estaba disponible"));
    app.stop().await;
}
on_both_backends!(left_out_lines_a_long_sleep_and_nothing_available_are_mailed);

async fn pedir_ahora_and_pause(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let clock = Clock::manual(t0());
    let app = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &[])).await;
    let (b, csrf) = merchant(&app, "ana@kiosco.com").await;
    let p = create(&b, &csrf, weekly(&[(1, 1)])).await;
    let id = p["id"].as_i64().unwrap();
    let procesar = format!("/api/paquetes/{id}/procesar");
    let (status, answer) = call(&b, Method::POST, &procesar, None, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let sent = wait_tickets(&tickets, 1).await;
    assert_eq!(sent[0]["numero"], answer["pedido"]["numero"]);
    assert_eq!(sent[0]["prioridad"], "alta");
    let (status, again) = call(&b, Method::POST, &procesar, None, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CONFLICT, "once a day: {again}");
    let (_, got) = call(&b, Method::GET, &format!("/api/paquetes/{id}"), None, None).await;
    assert_eq!(got["paquete"]["proxima_fecha"], "2026-12-09", "the schedule stays");

    // Paused: nothing when due; resumed: placed.
    let (status, paused) = call(&b, Method::POST, &format!("/api/paquetes/{id}/pausar"), None, Some(&csrf)).await;
    assert_eq!((status, &paused["paquete"]["activo"]), (StatusCode::OK, &json!(false)));
    clock.advance(chrono::Duration::days(7));
    a_few_ticks().await;
    assert_eq!(tickets_posted(&tickets).await.len(), 1, "a paused bundle waits");
    let (status, _) = call(&b, Method::POST, &format!("/api/paquetes/{id}/reanudar"), None, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(wait_tickets(&tickets, 2).await.len(), 2);
    // Edit and delete.
    let mut body = weekly(&[(4, 3)]);
    body["frecuencia"] = json!("mensual");
    let (status, edited) = call(&b, Method::PUT, &format!("/api/paquetes/{id}"), Some(body), Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["paquete"]["frecuencia"], "mensual");
    assert_eq!(edited["paquete"]["items"], json!([{"producto_id": 4, "cantidad": 3}]));
    let (status, _) = call(&b, Method::DELETE, &format!("/api/paquetes/{id}"), None, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&b, Method::GET, &format!("/api/paquetes/{id}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}
on_both_backends!(pedir_ahora_and_pause);

async fn refusals_name_the_field(backend: Backend) {
    let db = TestDb::new(backend).await;
    let clock = Clock::manual(t0());
    let app = TestApp::start(with_clock(&db, "http://127.0.0.1:9", &clock, &[])).await;
    let anon = app.browser();
    let (status, _) = call(&anon, Method::GET, "/api/paquetes", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut cliente = app.browser();
    assert_eq!(cliente.register("juan@example.com", &[]).await.status, 303);
    let csrf_cliente = cliente.get("/carrito").await.csrf();
    let (status, _) = call(&cliente, Method::POST, "/api/paquetes", Some(weekly(&[(1, 1)])), Some(&csrf_cliente)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "customers have no bundles");

    let (b, csrf) = merchant(&app, "ana@kiosco.com").await;
    let (status, answer) = call(&b, Method::POST, "/api/paquetes", Some(weekly(&[(1, 1)])), None).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::FORBIDDEN, Some("X-CSRF-Token")));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("frecuencia", json!("diaria"), "frecuencia"),
        ("proxima_fecha", json!("2020-01-01"), "proxima_fecha"),
        ("proxima_fecha", json!("2026-02-30"), "proxima_fecha"),
        ("proxima_fecha", json!(20261210), "proxima_fecha"),
        ("franja_id", json!(987654), "franja_id"),
        ("franja_id", json!("x"), "franja_id"),
        ("direccion", json!(7), "direccion"),
        ("direccion", json!({"calle": "Cabildo"}), "direccion.altura"),
        ("nombre", json!(""), "nombre"),
        ("items", json!([]), "items"),
        ("items", json!([{"producto_id": 1, "cantidad": 1000}]), "items[0].cantidad"),
        ("items", json!([{"producto_id": 1, "cantidad": 1e30}]), "items[0].cantidad"),
        ("items", json!([{"producto_id": 999999, "cantidad": 1}]), "items[0].producto_id"),
        ("items", json!([{"producto_id": 1, "cantidad": 1}, 5]), "items[1]"),
    ];
    for (field, value, campo) in cases {
        let mut body = weekly(&[(1, 1)]);
        body[field] = value.clone();
        let (status, answer) = call(&b, Method::POST, "/api/paquetes", Some(body), Some(&csrf)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {answer}");
        assert_eq!(answer["campo"], campo, "{field}={value}: {answer}");
    }
    let p = create(&b, &csrf, weekly(&[(1, 1)])).await;
    let (otra, csrf_otra) = merchant(&app, "otra@kiosco.com").await;
    let id = p["id"].as_i64().unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/paquetes/{id}")),
        (Method::PUT, format!("/api/paquetes/{id}")),
        (Method::DELETE, format!("/api/paquetes/{id}")),
        (Method::POST, format!("/api/paquetes/{id}/procesar")),
        (Method::POST, format!("/api/paquetes/{id}/pausar")),
        (Method::GET, "/api/paquetes/abc".to_owned()),
    ] {
        let body = (method == Method::PUT).then(|| weekly(&[(1, 1)]));
        let (status, answer) = call(&otra, method.clone(), &path, body, Some(&csrf_otra)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, list) = call(&otra, Method::GET, "/api/paquetes", None, None).await;
    assert_eq!(list["paquetes"], json!([]));
    app.stop().await;
}
on_both_backends!(refusals_name_the_field);

#[tokio::test]
async fn the_page_and_the_old_addresses() {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let clock = Clock::manual(t0());
    let app = TestApp::start(with_clock(&db, &tickets.uri(), &clock, &[])).await;
    let mut anon = app.browser();
    let page = anon.get("/comerciantes").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login?next=%2Fcomerciantes"));
    let mut cliente = app.browser();
    cliente.register("juan@example.com", &[]).await;
    assert_eq!(cliente.get("/comerciantes").await.status, StatusCode::FORBIDDEN);
    assert!(!cliente.get("/").await.body.contains("Mis paquetes"), "the nav link is for merchants");

    let (mut b, _) = merchant(&app, "ana@kiosco.com").await;
    let page = b.get("/comerciantes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"mis-paquetes\"") && page.body.contains("Todavía no tenés paquetes"));
    // A field at fault is named beside it; nothing saved.
    let bad = b
        .post_csrf(
            "/comerciantes/paquetes",
            &[
                ("nombre", "Bar"),
                ("frecuencia", "semanal"),
                ("direccion", "Cabildo 1"),
                ("proxima_fecha", "2020-01-01"),
                ("producto_0", "1"),
                ("cantidad_0", "2"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("id=\"error-proxima_fecha\"") && bad.body.contains("no puede ser anterior a hoy"));
    let ok = b
        .post_csrf(
            "/comerciantes/paquetes",
            &[
                ("nombre", "Bar"),
                ("frecuencia", "quincenal"),
                ("direccion", "Cabildo 1"),
                ("producto_0", "1"),
                ("cantidad_0", "2"),
                ("producto_1", ""),
                ("cantidad_1", "1"),
            ],
        )
        .await;
    // Saved, then a redirect: a reload repeats nothing.
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let saved = b.get(ok.location.as_deref().unwrap().split('#').next().unwrap()).await;
    assert!(saved.body.contains("Guardamos el paquete «Bar»: el primer pedido sale el miércoles 16/12/2026."));
    let (_, list) = call(&b, Method::GET, "/api/paquetes", None, None).await;
    let id = list["paquetes"][0]["id"].as_i64().unwrap();
    let pedido = b.post_csrf(&format!("/comerciantes/paquetes/{id}/pedir"), &[]).await;
    assert_eq!(pedido.status, StatusCode::SEE_OTHER);
    let pedido = b.get(pedido.location.as_deref().unwrap().split('#').next().unwrap()).await;
    assert!(pedido.body.contains("Hicimos el pedido PED-"), "Pedir ahora from the page");
    assert_eq!(wait_tickets(&tickets, 1).await[0]["prioridad"], "alta");
    assert_eq!(b.get(&format!("/comerciantes/paquetes/{id}")).await.status, StatusCode::OK);

    // The old system's addresses: 301 for GET, 308 for POST, never 404.
    let old = [
        ("/comerciantes/dashboard", "/comerciantes"),
        ("/comerciantes/registro", "/register?next=%2Fcomerciantes"),
        ("/comerciantes/login", "/login?next=%2Fcomerciantes"),
        ("/comerciantes/pedidos", "/comerciantes#pedidos"),
        ("/comerciantes/carrito", "/carrito"),
        ("/comerciantes/checkout", "/checkout"),
        ("/comerciantes/paquetes", "/comerciantes#paquetes"),
        ("/comerciantes/paquetes/crear", "/comerciantes#nuevo"),
        ("/comerciantes/paquetes/7/editar", "/comerciantes/paquetes/7"),
        ("/comerciantes/paquetes/7/agregar_producto", "/comerciantes/paquetes/7"),
        ("/comerciantes/paquetes/7/procesar", "/comerciantes/paquetes/7"),
    ];
    for (from, to) in old {
        let r = anon.get(from).await;
        assert_eq!((r.status, r.location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(to)), "GET {from}");
    }
    let posts = [
        ("/comerciantes/login", "/login?next=%2Fcomerciantes"),
        ("/comerciantes/paquetes/crear", "/comerciantes/paquetes"),
        ("/comerciantes/paquetes/7/editar", "/comerciantes/paquetes/7"),
        ("/comerciantes/paquetes/7/agregar_producto", "/comerciantes/paquetes/7/agregar"),
        ("/comerciantes/paquetes/7/procesar", "/comerciantes/paquetes/7/pedir"),
    ];
    for (from, to) in posts {
        let r = anon.post(from, &[]).await;
        assert_eq!((r.status, r.location.as_deref()), (StatusCode::PERMANENT_REDIRECT, Some(to)), "POST {from}");
    }
    app.stop().await;
}
