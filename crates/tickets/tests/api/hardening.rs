//! What an attacker and a careless operator can try, through the real
//! surface: a burst of password guesses, redirect targets after login,
//! text that passes a form but not the database, demo accounts left in a
//! database that moves to production, the browser protections.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, Browser, TestApp, TestDb, settings};
use crate::on_both_backends;

fn production(db: &TestDb) -> belgrano_tickets::Settings {
    settings(
        db,
        &[
            ("RENDER_ENVIRONMENT", "production"),
            ("ADMIN_EMAIL", "jefa@belgrano.com"),
            ("ADMIN_PASSWORD", "clave-de-jefa"),
        ],
    )
}

on_both_backends!(fifty_guesses_at_once_get_at_most_ten_password_checks, |db: TestDb| async move {
    let app = TestApp::start(production(&db)).await;
    let mut browser = Browser::new(&app);
    let csrf = browser.csrf_token().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Fifty wrong guesses at once, each from its own address (so only the
    // account's limit applies). (The right password is sent after the burst:
    // inside it, a success among the first checks would reset the count and let
    // later guesses be checked, which is right for the owner but makes the
    // count depend on timing.)
    let guesses = (0..50).map(|n| {
        let password = format!("adivinando-{n}");
        let body =
            belgrano_testkit::urlencode(&[("csrf", &csrf), ("email", "jefa@belgrano.com"), ("password", &password)]);
        client
            .post(format!("{}/login", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("belgrano_csrf={csrf}"))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .body(body)
            .send()
    });
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap().status()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::SEE_OTHER).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 10, "{checked} password checks for a limit of 10: {statuses:?}");
    assert_eq!(checked + refused, 50, "every answer is a check or a refusal: {statuses:?}");
    // The limit holds for the right password too: a burst cannot be followed by it.
    let body =
        belgrano_testkit::urlencode(&[("csrf", &csrf), ("email", "jefa@belgrano.com"), ("password", "clave-de-jefa")]);
    let right = client
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("belgrano_csrf={csrf}"))
        .header("x-forwarded-for", "203.0.113.99")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "locked until the window passes");
    app.stop().await;
});

on_both_backends!(login_sends_back_only_to_paths_of_this_site, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let hostile = [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "\t//evil.example",
        "/\t/evil.example",
        "/panel\r\nSet-Cookie: x=1",
        "/panel\nx",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "panel",
    ];
    for next in hostile {
        let page = Browser::new(&app).get(&format!("/login?next={}", belgrano_platform::http::url_encode(next))).await;
        assert_eq!(page.status, StatusCode::OK, "{next:?}");
        let mut browser = Browser::new(&app);
        let answer = browser
            .post("/login", &[("email", "admin@belgrano.local"), ("password", "demo1234"), ("next", next)])
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{next:?}: {}", answer.body);
        assert_eq!(answer.location(), Some("/panel"), "{next:?} goes to the default page");
    }
    let mut browser = Browser::new(&app);
    let answer = browser
        .post(
            "/login",
            &[("email", "admin@belgrano.local"), ("password", "demo1234"), ("next", "/reportes?desde=2026-01-01")],
        )
        .await;
    assert_eq!(answer.location(), Some("/reportes?desde=2026-01-01"), "a path of this site is kept");
    app.stop().await;
});

on_both_backends!(text_the_database_could_not_store_is_a_400_naming_the_field, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let base = json!({"numero": "PED-NUL-1", "cliente_nombre": "Ana", "total": 10.0});
    let cases: [(&str, Value, &str); 6] = [
        ("cliente_nombre", json!("Ana\u{0}"), "cliente_nombre"),
        ("cliente_direccion", json!("Cabildo\u{0} 1234"), "cliente_direccion"),
        ("indicaciones", json!("timbre\u{1b}[31m"), "indicaciones"),
        ("productos", json!(["Pan x999999"]), "productos[0].cantidad"),
        ("productos", json!([format!("{} x2", "a".repeat(301))]), "productos[0].nombre"),
        ("productos", json!([{"nombre": "Pan", "sucursal": "centro\u{0}"}]), "productos[0].sucursal"),
    ];
    for (key, value, campo) in cases {
        let mut body = base.clone();
        body[key] = value;
        let (status, answer) = app.post_ticket(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {answer}");
        assert_eq!(answer["campo"], campo, "{answer}");
    }
    assert!(app.all_tickets().await.is_empty(), "nothing was stored");

    let id = app.create("PED-NUL-2").await;
    let (status, answer) = app.patch_ticket(&id, &json!({"estado": "cancelado", "motivo": "no\u{0}estaba"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["campo"], "motivo");
    let (_, ticket) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket["estado"], "pendiente", "nothing changed");

    // A body that is not an object: serde alone would read `[]` as an empty
    // PATCH (a struct from an array, by position).
    for body in [json!([]), json!(["cancelado"]), json!(null), json!("cancelado")] {
        let (status, answer) = app.patch_ticket(&id, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let (status, answer) = app.post_ticket(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }
    let (_, ticket) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket["estado"], "pendiente", "nothing changed");
    app.stop().await;
});

on_both_backends!(demo_accounts_from_development_cannot_log_in_in_production, |db: TestDb| async move {
    let dev = TestApp::with_couriers(&db).await;
    assert_eq!(Browser::new(&dev).login("admin@belgrano.local", "demo1234").await.status, StatusCode::SEE_OTHER);
    let mut courier = Browser::new(&dev);
    assert_eq!(courier.login("repartidor1@belgrano.local", "demo1234").await.status, StatusCode::SEE_OTHER);
    dev.stop().await;

    let app = TestApp::start(production(&db)).await;
    for email in ["admin@belgrano.local", "repartidor1@belgrano.local", "repartidor5@belgrano.local"] {
        let page = Browser::new(&app).login(email, "demo1234").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{email} must not log in: {}", page.body);
    }
    let mut same_browser = Browser::new(&app);
    same_browser.cookies = courier.cookies.clone();
    assert_eq!(same_browser.get("/repartidor").await.status, StatusCode::SEE_OTHER, "its session ended too");
    // No order goes to a demo courier either.
    let (status, answer) = app.post_ticket(&crate::helpers::order("PED-PROD-1")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["repartidor_asignado"], Value::Null, "{answer}");
    assert_eq!(Browser::new(&app).login("jefa@belgrano.com", "clave-de-jefa").await.status, StatusCode::SEE_OTHER);
    app.stop().await;
});

#[tokio::test]
async fn pages_and_the_api_carry_the_browser_protections() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite).await;
    let app = TestApp::with_couriers(&db).await;
    for path in ["/login", "/health", "/api/tickets"] {
        let response =
            app.client.get(format!("{}{path}", app.address)).header("X-API-Key", API_KEY).send().await.unwrap();
        let h = response.headers();
        assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'self'"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(!h.contains_key("strict-transport-security"), "no HSTS outside production: {path}");
    }
    app.stop().await;
    let db = TestDb::new(crate::helpers::Backend::Sqlite).await;
    let app = TestApp::start(production(&db)).await;
    let response = app.client.get(format!("{}/login", app.address)).send().await.unwrap();
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    app.stop().await;
}
