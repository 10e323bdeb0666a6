//! E-mail through a real SMTP server (`belgrano_testkit::smtp`, aiosmtpd):
//! an order's confirmation survives an SMTP outage (20 checkouts while it
//! is down, 20 mails once it is back, none twice) without slowing the
//! checkouts; a status update reported twice mails once; a refused
//! address is parked and shown in the back office with a retry; the
//! password reset works once and only once, expires, ends every session,
//! answers unknown addresses the same and is rate limited; the contact
//! form reaches the shop; the dev mailbox exists only in development.

use std::collections::HashSet;
use std::time::Duration;

use belgrano_platform::db::{Ts, sql};
use belgrano_testkit::smtp::{Received, SmtpServer};
use reqwest::StatusCode;
use serde_json::json;

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");

fn with_smtp<'a>(smtp: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![("SMTP_URL", smtp), ("MAIL_FROM", "Belgrano Ahorro <pedidos@belgrano.test>")];
    vars.extend_from_slice(extra);
    vars
}

fn body_for(email: &str, items: &[(i64, i64)]) -> serde_json::Value {
    let mut body = checkout_body(items);
    body["cliente"]["email"] = json!(email);
    body
}

/// The path of a mailed link (the mail's host is `PUBLIC_URL`'s).
fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    rest.find('/').map_or("/".to_owned(), |i| rest[i..].to_owned())
}

async fn confirmations_survive_an_smtp_outage(backend: Backend) {
    let tickets = accepting_tickets().await;
    let mut smtp = SmtpServer::start().await;
    smtp.stop().await;
    let db = TestDb::new(backend).await;
    let url = smtp.url();
    let app = TestApp::start(settings(&db, &tickets.uri(), &with_smtp(&url, &[]))).await;
    let mut numeros = HashSet::new();
    for _ in 0..20 {
        let (status, answer) = app.checkout(&body_for("cliente@example.com", &[(1, 1), (2, 2)])).await;
        // The SMTP server is not on the checkout's way: each order stands,
        // confirmed by Tickets, while its mail waits in the outbox.
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(answer["ticket"]["id"].is_i64(), "confirmed by Tickets: {answer}");
        numeros.insert(answer["pedido"]["numero"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(smtp.messages().await.is_empty());

    smtp.restart().await;
    let got = smtp.wait_for("cliente@example.com", 20, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 20, "every confirmation arrives once the server is back");
    // And none twice, even after a while.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = smtp.messages_to("cliente@example.com").await;
    assert_eq!(got.len(), 20);
    let mailed: HashSet<String> =
        got.iter().map(|m| numeros.iter().find(|n| m.subject.contains(n.as_str())).unwrap().clone()).collect();
    assert_eq!(mailed, numeros, "one mail per order");

    // What a confirmation says, in both parts; its tracking link works.
    let m: &Received = &got[0];
    assert_eq!(m.content_type, "multipart/alternative");
    assert!(m.from.contains("pedidos@belgrano.test"), "{}", m.from);
    assert!(m.subject.starts_with("Recibimos tu pedido PED-"), "{}", m.subject);
    for part in [&m.text, &m.html] {
        assert!(part.contains("Av. Cabildo 1234") && part.contains("Efectivo") && part.contains("/seguimiento/"));
    }
    let link = m.link("/seguimiento/").expect("a tracking link");
    let page = app.browser().get(&path_of(&link)).await;
    assert_eq!(page.status, 200, "{link}");
    app.stop().await;
}
on_both_backends!(confirmations_survive_an_smtp_outage);

async fn a_status_reported_twice_mails_once(backend: Backend) {
    let tickets = accepting_tickets().await;
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(backend).await;
    let url = smtp.url();
    let app = TestApp::start(settings(&db, &tickets.uri(), &with_smtp(&url, &[]))).await;
    let (_, answer) = app.checkout(&body_for("ana@example.com", &[(1, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let (_, answer) = app.checkout(&body_for("beto@example.com", &[(2, 1)])).await;
    let otro = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let update = |numero: &str, version: i64, estado: &str, motivo: Option<&str>| {
        json!({"evento": "ticket_actualizado", "numero": numero, "ticket_id": 77, "estado": estado,
               "repartidor": "Repartidor1", "version": version, "fecha_actualizacion": "2026-01-01T10:00:00Z",
               "motivo_cancelacion": motivo})
    };
    for body in [
        update(&numero, 2, "en-preparacion", None),
        update(&numero, 3, "en-camino", None),
        update(&numero, 3, "en-camino", None),
        update(&numero, 4, "entregado", None),
        update(&numero, 4, "entregado", None),
        // An old client's plain repeat moves nothing and mails nothing.
        json!({"numero": numero, "estado": "entregado", "repartidor": "Repartidor1"}),
        update(&otro, 2, "cancelado", Some("No hay stock de yerba")),
        update(&otro, 2, "cancelado", Some("No hay stock de yerba")),
    ] {
        let (status, answer) = app.post_json("/api/tickets", &body, Some(API_KEY)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let ana = smtp.wait_for("ana@example.com", 3, Duration::from_secs(20)).await;
    let beto = smtp.wait_for("beto@example.com", 2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let subjects = |ms: Vec<Received>| {
        let mut s: Vec<String> = ms.into_iter().map(|m| m.subject).collect();
        s.sort();
        s
    };
    assert_eq!(
        subjects(smtp.messages_to("ana@example.com").await),
        [
            format!("Entregamos tu pedido {numero}"),
            format!("Recibimos tu pedido {numero}"),
            format!("Tu pedido {numero} está en camino"),
        ],
        "{ana:?}"
    );
    assert_eq!(beto.len(), 2, "{beto:?}");
    let cancel =
        smtp.messages_to("beto@example.com").await.into_iter().find(|m| m.subject.contains("Cancelamos")).unwrap();
    assert!(cancel.text.contains("No hay stock de yerba") && cancel.html.contains("No hay stock de yerba"));
    app.stop().await;
}
on_both_backends!(a_status_reported_twice_mails_once);

#[tokio::test]
async fn a_refused_address_is_parked_and_retried_from_the_back_office() {
    let tickets = accepting_tickets().await;
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let url = smtp.url();
    let extra = [("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1)];
    let app = TestApp::start(settings(&db, &tickets.uri(), &with_smtp(&url, &extra))).await;
    let (status, _) = app.checkout(&body_for("rechazo@example.com", &[(1, 1)])).await;
    assert_eq!(status, StatusCode::OK, "a refused mail never fails a checkout");

    let (mut b, _) = staff_login(&app, ADMIN).await;
    let mut page = b.get("/admin/envios").await;
    for _ in 0..50 {
        if page.body.contains("id=\"correos-fallidos\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        page = b.get("/admin/envios").await;
    }
    assert!(page.body.contains("rechazo@example.com") && page.body.contains("550"), "{}", page.body);
    let marker = "action=\"/admin/envios/correos/";
    let start = page.body.find(marker).unwrap() + marker.len();
    let id: String = page.body[start..].chars().take_while(char::is_ascii_digit).collect();
    let retried = b.post_csrf(&format!("/admin/envios/correos/{id}/reintentar"), &[]).await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER);
    // Refused again (the address still does not exist): parked again, never lost.
    let mut parked_again = false;
    let mut page = b.get("/admin/envios").await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        page = b.get("/admin/envios").await;
        // Two attempts now: the retry was tried and refused again.
        if page.body.contains(&format!("id=\"correo-{id}\"")) && page.body.contains("<td>2</td>") {
            parked_again = true;
            break;
        }
    }
    assert!(parked_again, "{}", page.body);
    assert!(smtp.messages().await.is_empty());
    app.stop().await;
}

async fn request_link(b: &mut Browser, email: &str) -> crate::helpers::Page {
    b.get("/password/olvide").await;
    b.post_csrf("/password/olvide", &[("email", email)]).await
}

async fn password_reset_works_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(backend).await;
    let url = smtp.url();
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &with_smtp(&url, &[]))).await;
    // Two sessions of the account.
    let mut a = app.browser();
    a.get("/").await;
    assert_eq!(a.register("olvido@example.com", &[]).await.status, StatusCode::SEE_OTHER);
    let mut b = app.browser();
    b.get("/login").await;
    let login = b.post_csrf("/login", &[("email", "olvido@example.com"), ("password", "secreto123")]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(a.get("/perfil").await.status, 200);

    let mut c = app.browser();
    assert!(c.get("/login").await.body.contains("href=\"/password/olvide\""), "the login page links it");
    let known = request_link(&mut c, "olvido@example.com").await;
    let unknown = request_link(&mut c, "nadie@example.com").await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        known.body.replace("olvido@example.com", "X"),
        unknown.body.replace("nadie@example.com", "X"),
        "the same answer whether the account exists or not"
    );
    let mails = smtp.wait_for("olvido@example.com", 1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    let link = mails[0].link("/password/nueva/").expect("a reset link");
    let path = path_of(&link);
    assert_eq!(c.get(&path).await.status, 200);
    let mismatch = c.post_csrf(&path, &[("password", "nueva-clave-1"), ("confirmar_password", "otra")]).await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST, "the registration's rules");
    let short = c.post_csrf(&path, &[("password", "corta"), ("confirmar_password", "corta")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let done = c.post_csrf(&path, &[("password", "nueva-clave-1"), ("confirmar_password", "nueva-clave-1")]).await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("password-cambiada"), "{}", done.body);
    // Every session of the account ended.
    assert_eq!(a.get("/perfil").await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/perfil").await.status, StatusCode::SEE_OTHER);
    // Once only.
    let again = c.post_csrf(&path, &[("password", "otra-clave-22"), ("confirmar_password", "otra-clave-22")]).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("ya se usó"), "{}", again.body);
    assert_eq!(c.get(&path).await.status, StatusCode::GONE);
    let mut d = app.browser();
    d.get("/login").await;
    let old = d.post_csrf("/login", &[("email", "olvido@example.com"), ("password", "secreto123")]).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = d.post_csrf("/login", &[("email", "olvido@example.com"), ("password", "nueva-clave-1")]).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
    // Nothing was mailed to the unknown address.
    assert!(smtp.messages_to("nadie@example.com").await.is_empty());

    // An expired link is refused, with a clear message.
    request_link(&mut c, "olvido@example.com").await;
    let mails = smtp.wait_for("olvido@example.com", 2, Duration::from_secs(10)).await;
    let link = mails.iter().filter_map(|m| m.link("/password/nueva/")).find(|l| path_of(l) != path).unwrap();
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    let past = Ts(chrono::Utc::now() - chrono::Duration::minutes(1));
    sql("UPDATE password_resets SET expires_at = $1 WHERE used_at IS NULL")
        .bind(past)
        .execute(store.db().write())
        .await
        .unwrap();
    store.db().close().await;
    let expired = c.get(&path_of(&link)).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("venció"), "{}", expired.body);
    let refused =
        c.post_csrf(&path_of(&link), &[("password", "otra-clave-22"), ("confirmar_password", "otra-clave-22")]).await;
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(c.get("/password/nueva/no-es-un-token").await.status, StatusCode::GONE);
    app.stop().await;
}
on_both_backends!(password_reset_works_once);

#[tokio::test]
async fn password_reset_requests_are_limited() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut c = app.browser();
    // Per e-mail: three an hour.
    for _ in 0..3 {
        assert_eq!(request_link(&mut c, "alguien@example.com").await.status, 200);
    }
    let limited = request_link(&mut c, "alguien@example.com").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Esperá una hora"), "{}", limited.body);
    // Per address: twenty an hour, whatever the e-mails (three used above).
    for i in 0..17 {
        assert_eq!(request_link(&mut c, &format!("otro{i}@example.com")).await.status, 200, "request {i}");
    }
    assert_eq!(request_link(&mut c, "ultimo@example.com").await.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn the_contact_form_reaches_the_shop() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let url = smtp.url();
    let extra = [("CONTACT_EMAIL", "hola@belgrano.test")];
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &with_smtp(&url, &extra))).await;
    let mut b = app.browser();
    assert!(b.get("/").await.body.contains("href=\"/contacto\""));
    assert_eq!(b.get("/contacto").await.status, 200);
    let bad = b.post_csrf("/contacto", &[("nombre", "Ana"), ("email", "no-es-email"), ("mensaje", "Hola")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let no_csrf = b.post("/contacto", &[("nombre", "Ana"), ("email", "ana@example.com"), ("mensaje", "Hola")]).await;
    assert_ne!(no_csrf.status, 200, "a form without the CSRF token is refused");
    let ok = b
        .post_csrf("/contacto", &[("nombre", "Ana"), ("email", "ana@example.com"), ("mensaje", "¿Tienen yerba <b>?")])
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("contacto-enviado"));
    let got = smtp.wait_for("hola@belgrano.test", 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].reply_to.contains("ana@example.com"), "{:?}", got[0]);
    assert!(got[0].text.contains("¿Tienen yerba <b>?") && got[0].html.contains("yerba &lt;b&gt;"));
    app.stop().await;
}

#[tokio::test]
async fn the_dev_mailbox_keeps_mails_in_development_only() {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (_, answer) = app.checkout(&body_for("dev@example.com", &[(1, 1)])).await;
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let mut b = app.browser();
    let page = b.get("/dev/correo").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("dev@example.com") && page.body.contains(&numero), "{}", page.body);
    app.stop().await;

    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[("RENDER_ENVIRONMENT", "production")])).await;
    let response = app
        .client
        .get(format!("{}/dev/correo", app.address))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Production without SMTP_URL keeps mails pending: nothing lost.
    let (status, _) = app.checkout(&body_for("prod@example.com", &[(1, 1)])).await;
    assert_eq!(status, StatusCode::OK);
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (pending,): (i64,) =
        sql("SELECT COUNT(*) FROM correos WHERE status = 'pending'").fetch_one(store.db().read()).await.unwrap();
    assert_eq!(pending, 1);
    store.db().close().await;
    app.stop().await;
}
