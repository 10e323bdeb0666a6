//! What an attacker and a careless operator can try against the shop,
//! through the real surface: a burst of password guesses, guessing from one
//! address, redirect targets after login, text the database could not
//! store, status updates that would move an order backwards, demo accounts
//! left in a database that moves to production, sessions a password change
//! must end.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

const PASSWORD: &str = "secreto123";

fn login_body(csrf: &str, email: &str, password: &str, next: &str) -> String {
    urlencode(&[("csrf", csrf), ("email", email), ("password", password), ("next", next)])
}

async fn fifty_guesses_at_once_get_at_most_five_password_checks(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    assert_eq!(app.browser().register("ana@example.com", &[]).await.status, 303);
    let mut b = app.browser();
    let csrf = b.get("/carrito").await.csrf();
    let cookie = b.cookie.clone().unwrap();
    // Fifty wrong guesses at once; the right password after them (inside the
    // burst, a success among the first checks would reset the count, which is
    // right for the owner but makes the count depend on timing).
    let guesses = (0..50).map(|n| {
        let password = format!("adivinando-{n}");
        app.client
            .post(format!("{}/login", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(login_body(&csrf, "ana@example.com", &password, "/"))
            .send()
    });
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap().status()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::SEE_OTHER).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 5, "{checked} password checks for a limit of 5: {statuses:?}");
    assert_eq!(checked + refused, 50, "{statuses:?}");
    let right = app
        .client
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .body(login_body(&csrf, "ana@example.com", PASSWORD, "/"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "locked until the window passes");
    app.stop().await;
}
on_both_backends!(fifty_guesses_at_once_get_at_most_five_password_checks);

async fn guessing_from_one_address_locks_that_address_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[("RENDER_ENVIRONMENT", "production")])).await;
    assert_eq!(app.browser().register("ana@example.com", &[]).await.status, 303);
    let mut b = app.browser();
    let csrf = b.get("/carrito").await.csrf();
    let cookie = b.cookie.clone().unwrap();
    let attempt = |email: String, password: &'static str, address: &'static str| {
        let request = app
            .client
            .post(format!("{}/login", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            // Render's proxy appends the address it saw.
            .header("x-forwarded-for", format!("6.6.6.6, {address}"))
            .body(login_body(&csrf, &email, password, "/"));
        async move { request.send().await.unwrap().status() }
    };
    for n in 0..20 {
        assert_eq!(attempt(format!("nadie{n}@example.com"), "x", "203.0.113.9").await, 401, "attempt {n}");
    }
    assert_eq!(attempt("ana@example.com".into(), PASSWORD, "203.0.113.9").await, 429, "that address waits");
    assert_eq!(attempt("ana@example.com".into(), PASSWORD, "198.51.100.4").await, 303, "from elsewhere she logs in");
    app.stop().await;
}
on_both_backends!(guessing_from_one_address_locks_that_address_only);

#[tokio::test]
async fn login_sends_back_only_to_paths_of_this_shop() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    assert_eq!(app.browser().register("ana@example.com", &[]).await.status, 303);
    let hostile = [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\t//evil.example",
        "/\t/evil.example",
        "/carrito\r\nSet-Cookie: x=1",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
    ];
    for next in hostile {
        let mut b = app.browser();
        let form = b.get(&format!("/login?next={}", belgrano_platform::http::url_encode(next))).await;
        assert_eq!(form.status, 200, "{next:?}");
        let answer =
            b.post_csrf("/login", &[("email", "ana@example.com"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{next:?}");
    }
    let mut b = app.browser();
    let answer =
        b.post_csrf("/login", &[("email", "ana@example.com"), ("password", PASSWORD), ("next", "/checkout")]).await;
    assert_eq!(answer.location.as_deref(), Some("/checkout"), "a path of the shop is kept");
    app.stop().await;
}

async fn text_the_database_could_not_store_is_refused_by_field(backend: Backend) {
    let db = TestDb::new(backend).await;
    let tickets = accepting_tickets().await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut body = checkout_body(&[(1, 1)]);
    body["cliente"]["nombre"] = json!("Juan\u{0}");
    let (status, answer) = app.checkout(&body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["campo"], "cliente.nombre");
    let mut body = checkout_body(&[(1, 1)]);
    body["notas"] = json!("timbre\u{1b}[31m");
    let (status, answer) = app.checkout(&body).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (400, Some("notas")), "{answer}");
    assert!(posted(&tickets).await.is_empty(), "nothing was ordered");

    let page = app.browser().register("ana@example.com", &[("nombre", "Ana\u{0}")]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("El nombre"), "the message names the field");
    let again = app.browser().register("ana@example.com", &[]).await;
    assert_eq!(again.status, 303, "no account was created by the refused form");
    app.stop().await;
}
on_both_backends!(text_the_database_could_not_store_is_refused_by_field);

async fn an_unversioned_update_never_moves_an_order_backwards(backend: Backend) {
    let db = TestDb::new(backend).await;
    let tickets = accepting_tickets().await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let estado = |answer: &Value| {
        let url = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
        let client = app.client.clone();
        async move {
            let body: Value =
                client.get(url).header("Accept", "application/json").send().await.unwrap().json().await.unwrap();
            body["estado"].as_str().unwrap().to_owned()
        }
    };
    let (_, delivered) = app.checkout(&checkout_body(&[(1, 1)])).await;
    let numero = delivered["pedido"]["numero"].as_str().unwrap().to_owned();
    let versioned = json!({"evento": "ticket_actualizado", "numero": numero, "ticket_id": 77, "estado": "entregado",
        "repartidor": "Repartidor4", "version": 4, "fecha_actualizacion": "2026-11-28T10:00:00Z"});
    assert_eq!(app.post_json("/api/tickets", &versioned, Some(API_KEY)).await.0, 200);
    let old_client = json!({"numero": numero, "estado": "pendiente"});
    assert_eq!(app.post_json("/api/tickets", &old_client, Some(API_KEY)).await.0, 200);
    assert_eq!(estado(&delivered).await, "entregado", "an unversioned update does not override a versioned one");

    // Without versions, an old client still moves an order, but never out of a final state.
    let (_, plain) = app.checkout(&checkout_body(&[(2, 1)])).await;
    let numero = plain["pedido"]["numero"].as_str().unwrap().to_owned();
    for (sent, kept) in [("en-camino", "en-camino"), ("cancelado", "cancelado"), ("pendiente", "cancelado")] {
        let body = json!({"numero": numero, "estado": sent});
        assert_eq!(app.post_json("/api/tickets", &body, Some(API_KEY)).await.0, 200);
        assert_eq!(estado(&plain).await, kept, "after an unversioned {sent}");
    }
    app.stop().await;
}
on_both_backends!(an_unversioned_update_never_moves_an_order_backwards);

async fn demo_accounts_from_development_cannot_log_in_in_production(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut dev = settings(&db, "http://127.0.0.1:9", &[]);
    dev.seed_demo_users = true;
    let app = TestApp::start(dev).await;
    let mut cliente = app.browser();
    let login = cliente.post_csrf("/login", &[("email", "cliente@belgrano.local"), ("password", "cliente1234")]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "the demo login works in development");
    app.stop().await;

    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[("RENDER_ENVIRONMENT", "production")])).await;
    for (email, password) in
        [("cliente@belgrano.local", "cliente1234"), ("comerciante@belgrano.local", "comerciante1234")]
    {
        let page = app.browser().post_csrf("/login", &[("email", email), ("password", password)]).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{email} must not log in in production");
    }
    let mut same_browser = app.browser();
    same_browser.cookie = cliente.cookie.clone();
    assert_eq!(same_browser.get("/perfil").await.status, StatusCode::SEE_OTHER, "its session ended too");
    app.stop().await;
}
on_both_backends!(demo_accounts_from_development_cannot_log_in_in_production);

#[tokio::test]
async fn a_password_change_ends_the_accounts_other_sessions() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut phone = app.browser();
    assert_eq!(phone.register("ana@example.com", &[]).await.status, 303);
    let mut laptop = app.browser();
    let login = laptop.post_csrf("/login", &[("email", "ana@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(phone.get("/perfil").await.status, 200);
    let changed = laptop
        .post_csrf(
            "/perfil/password",
            &[("actual", PASSWORD), ("password", "otra-clave-99"), ("confirmar_password", "otra-clave-99")],
        )
        .await;
    assert!(changed.body.contains("Contraseña cambiada"), "{}", changed.body);
    assert_eq!(laptop.get("/perfil").await.status, 200, "the session that changed it stays");
    assert_eq!(phone.get("/perfil").await.status, StatusCode::SEE_OTHER, "the other session ended");
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_the_browser_protections() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    for path in ["/", "/login", "/api/openapi.json"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        let h = response.headers();
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    app.stop().await;
}
