//! People and login: sessions, CSRF, rate limiting, the first dispatcher,
//! demo accounts and the courier pages, through real HTTP.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, TestDb, settings};
use crate::on_both_backends;

const DEMO_PASSWORD: &str = "demo1234";
const DEMO_ADMIN: &str = "admin@belgrano.local";

fn production(db: &TestDb, extra: &[(&str, &str)]) -> belgrano_tickets::Settings {
    let mut vars = vec![("RENDER_ENVIRONMENT", "production")];
    vars.extend_from_slice(extra);
    settings(db, &vars)
}

on_both_backends!(login_success_failure_and_redirects, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut browser = Browser::new(&app);

    let form = browser.get("/login").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("lang=\"es-AR\""));
    let csrf_cookie = form.set_cookie("belgrano_csrf").expect("the login page sets the CSRF cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"), "{csrf_cookie}");
    assert_eq!(form.csrf_field().as_deref(), browser.cookies.get("belgrano_csrf").map(String::as_str));

    let wrong = browser.login(DEMO_ADMIN, "no-es-esta").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Email o contraseña incorrectos."), "{}", wrong.body);
    assert!(wrong.body.contains(DEMO_ADMIN), "the form keeps the email");
    assert!(browser.session().is_none());
    let unknown = browser.login("nadie@belgrano.local", DEMO_PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    let ok = browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), Some("/panel"));
    let cookie = ok.set_cookie("belgrano_sesion").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "development runs on plain HTTP: {cookie}");
    // Logged in: the login page sends the dispatcher home.
    assert_eq!(browser.get("/login").await.location(), Some("/panel"));

    let mut courier = Browser::new(&app);
    let page = courier.login("Repartidor2@belgrano.local", DEMO_PASSWORD).await;
    assert_eq!(page.location(), Some("/repartidor"), "{}", page.body);

    // A local `next` is followed; another host never.
    let mut next = Browser::new(&app);
    next.get("/login?next=/repartidores").await;
    let page =
        next.post("/login", &[("email", DEMO_ADMIN), ("password", DEMO_PASSWORD), ("next", "/repartidores")]).await;
    assert_eq!(page.location(), Some("/repartidores"));
    let mut evil = Browser::new(&app);
    let page =
        evil.post("/login", &[("email", DEMO_ADMIN), ("password", DEMO_PASSWORD), ("next", "//evil.example/x")]).await;
    assert_eq!(page.location(), Some("/panel"));
    app.stop().await;
});

on_both_backends!(sessions_are_new_at_login_and_end_at_logout, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut browser = Browser::new(&app);
    browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    let first = browser.session().unwrap();
    assert_eq!(first.len(), 64, "32 random bytes, hex");
    assert_eq!(browser.get("/repartidores").await.status, StatusCode::OK);

    browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    let second = browser.session().unwrap();
    assert_ne!(first, second, "every login makes a new session id");
    let mut stale = Browser::new(&app);
    stale.cookies.insert("belgrano_sesion".into(), first.clone());
    assert_eq!(stale.get("/repartidores").await.status, StatusCode::SEE_OTHER, "the replaced session is gone");

    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/login"));
    assert!(browser.session().is_none(), "the cookie is cleared");
    let mut replay = Browser::new(&app);
    replay.cookies.insert("belgrano_sesion".into(), second);
    let page = replay.get("/repartidores").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "the old cookie opens nothing after logout");
    assert_eq!(page.location(), Some("/login?next=%2Frepartidores"));
    app.stop().await;
});

on_both_backends!(pages_need_the_right_role, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut anonymous = Browser::new(&app);
    for path in ["/repartidores", "/cuenta/password", "/repartidores/1"] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().unwrap().starts_with("/login?next=%2F"), "{path}: {:?}", page.location());
    }
    let mut courier = Browser::new(&app);
    courier.login("repartidor1@belgrano.local", DEMO_PASSWORD).await;
    let page = courier.get("/repartidores").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("sólo para administración"), "{}", page.body);
    assert_eq!(
        courier.post("/repartidores", &[("nombre", "X"), ("email", "x@x.com"), ("password", "12345678")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(courier.get("/cuenta/password").await.status, StatusCode::OK);
    // A dispatcher cannot use the courier's switch.
    let mut dispatcher = Browser::new(&app);
    dispatcher.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    assert_eq!(dispatcher.post("/repartidor/disponibilidad", &[]).await.status, StatusCode::FORBIDDEN);
    let nav = dispatcher.get("/repartidores").await.body;
    for link in
        ["href=\"/panel\"", "href=\"/usuarios\"", "href=\"/reportes\"", "action=\"/logout\"", "name=\"csrf-token\""]
    {
        assert!(nav.contains(link), "{link}");
    }
    app.stop().await;
});

on_both_backends!(forms_without_the_csrf_token_are_refused_and_change_nothing, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut browser = Browser::new(&app);
    let token = browser.csrf_token().await;

    // Login itself: no field, a wrong one, or no cookie.
    let page = browser.post_raw("/login", &[("email", DEMO_ADMIN), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("no se guardó nada"), "{}", page.body);
    let other = "0".repeat(64);
    let page =
        browser.post_raw("/login", &[("csrf", &other), ("email", DEMO_ADMIN), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(browser.session().is_none());
    let mut cookieless = Browser::new(&app);
    let page =
        cookieless.post_raw("/login", &[("csrf", &token), ("email", DEMO_ADMIN), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    assert!(browser.session().is_some());
    let page = browser
        .post_raw(
            "/repartidores",
            &[("csrf", &other), ("nombre", "Intrusa"), ("email", "intrusa@belgrano.local"), ("password", "12345678")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!browser.get("/repartidores").await.body.contains("intrusa@belgrano.local"), "nothing was created");
    // Logout without the token does not log out.
    assert_eq!(browser.post_raw("/logout", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/repartidores").await.status, StatusCode::OK);

    // `fetch` calls send the token as a header.
    let mut courier = Browser::new(&app);
    courier.login("repartidor3@belgrano.local", DEMO_PASSWORD).await;
    let csrf = courier.cookies["belgrano_csrf"].clone();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookies = format!("belgrano_sesion={}; belgrano_csrf={csrf}", courier.session().unwrap());
    let without = client
        .post(format!("{}/repartidor/disponibilidad", app.address))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let with = client
        .post(format!("{}/repartidor/disponibilidad", app.address))
        .header("cookie", &cookies)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::SEE_OTHER);
    let list = browser.get("/repartidores").await.body;
    let row = list.split("<tr").find(|r| r.contains("repartidor3@belgrano.local")).unwrap();
    assert!(row.contains("Habilitar"), "the header-authorised post paused Repartidor3 (and only once): {row}");
    app.stop().await;
});

on_both_backends!(ten_failures_for_one_account_lock_it_for_every_address, |db: TestDb| async move {
    let app =
        TestApp::start(production(&db, &[("ADMIN_EMAIL", "jefa@belgrano.com"), ("ADMIN_PASSWORD", "clave-de-jefa")]))
            .await;
    let mut browser = Browser::new(&app);
    for n in 0..10 {
        browser.forwarded_for = Some(format!("203.0.113.{n}"));
        let page = browser.login("jefa@belgrano.com", "adivinando").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    browser.forwarded_for = Some("198.51.100.7".into());
    let page = browser.login("jefa@belgrano.com", "clave-de-jefa").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(page.body.contains("Demasiados intentos fallidos"), "{}", page.body);
    assert!(browser.session().is_none());
    app.stop().await;
});

on_both_backends!(ten_failures_from_one_address_lock_it_for_every_account, |db: TestDb| async move {
    let app =
        TestApp::start(production(&db, &[("ADMIN_EMAIL", "jefa@belgrano.com"), ("ADMIN_PASSWORD", "clave-de-jefa")]))
            .await;
    let mut attacker = Browser::new(&app);
    // Render's proxy appends the real address; what the client sent comes first.
    attacker.forwarded_for = Some("1.2.3.4, 192.0.2.66".into());
    for n in 0..10 {
        let page = attacker.login(&format!("usuario{n}@belgrano.com"), "adivinando").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    attacker.forwarded_for = Some("9.9.9.9, 192.0.2.66".into());
    let page = attacker.login("jefa@belgrano.com", "clave-de-jefa").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("espere 15 minutos"), "{}", page.body);

    let mut someone_else = Browser::new(&app);
    someone_else.forwarded_for = Some("1.2.3.4, 192.0.2.77".into());
    let page = someone_else.login("jefa@belgrano.com", "clave-de-jefa").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "another address is not limited: {}", page.body);
    let cookie = page.set_cookie("belgrano_sesion").unwrap();
    assert!(cookie.contains("; Secure"), "production cookies are Secure: {cookie}");
    assert!(page.set_cookie("belgrano_csrf").unwrap().contains("; Secure"));
    app.stop().await;
});

on_both_backends!(outside_production_forwarded_addresses_are_not_trusted, |db: TestDb| async move {
    // Without Render's proxy in front, X-Forwarded-For is whatever the
    // client wrote: rotating it must not escape the limit.
    let app = TestApp::with_couriers(&db).await;
    let mut attacker = Browser::new(&app);
    for n in 0..10 {
        attacker.forwarded_for = Some(format!("198.51.100.{n}"));
        let page = attacker.login(&format!("nadie{n}@belgrano.local"), "adivinando").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    attacker.forwarded_for = Some("198.51.100.200".into());
    assert_eq!(attacker.login(DEMO_ADMIN, DEMO_PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
});

on_both_backends!(admin_variables_create_then_update_the_first_dispatcher, |db: TestDb| async move {
    let vars = [("ADMIN_EMAIL", "Jefa@Belgrano.com"), ("ADMIN_PASSWORD", "primera-clave")];
    let app = TestApp::start(production(&db, &vars)).await;
    let mut browser = Browser::new(&app);
    let page = browser.login("jefa@belgrano.com", "primera-clave").await;
    assert_eq!(page.location(), Some("/panel"), "{}", page.body);
    // Production invents nothing: no demo dispatcher, no demo couriers.
    let mut demo = Browser::new(&app);
    assert_eq!(demo.login(DEMO_ADMIN, DEMO_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert!(!browser.get("/repartidores").await.body.contains("repartidor1@belgrano.local"));
    app.stop().await;

    let vars = [("ADMIN_EMAIL", "jefa@belgrano.com"), ("ADMIN_PASSWORD", "segunda-clave")];
    let app = TestApp::start(production(&db, &vars)).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.login("jefa@belgrano.com", "primera-clave").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.login("jefa@belgrano.com", "segunda-clave").await.location(), Some("/panel"));
    app.stop().await;
});

#[test]
fn production_refuses_half_of_the_admin_variables() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    let base =
        [("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", "clave-propia-de-render-0123456789abc")];
    let only_email: &'static [(&str, &str)] =
        Box::leak(Box::new([base[0], base[1], ("ADMIN_EMAIL", "jefa@belgrano.com")]));
    let err = belgrano_tickets::Settings::from_lookup(lookup(only_email)).unwrap_err().to_string();
    assert!(err.contains("ADMIN_PASSWORD no está definida") && err.contains("Defina las dos"), "{err}");
    let only_password: &'static [(&str, &str)] =
        Box::leak(Box::new([base[0], base[1], ("ADMIN_PASSWORD", "clave-larga")]));
    let err = belgrano_tickets::Settings::from_lookup(lookup(only_password)).unwrap_err().to_string();
    assert!(err.contains("ADMIN_EMAIL no está definida"), "{err}");
}

on_both_backends!(dispatchers_create_and_edit_couriers, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut browser = Browser::new(&app);
    browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    let list = browser.get("/repartidores").await;
    assert_eq!(list.status, StatusCode::OK);
    for n in 1..=5 {
        assert!(list.body.contains(&format!("repartidor{n}@belgrano.local")));
    }

    // Bad input re-shows the form with a Spanish message and creates nothing.
    let page = browser
        .post("/repartidores", &[("nombre", "Lucía"), ("email", "lucia@belgrano.local"), ("password", "corta")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("al menos 8 caracteres"), "{}", page.body);
    assert!(page.body.contains("value=\"lucia@belgrano.local\""), "the form keeps what was typed");
    let page = browser
        .post("/repartidores", &[("nombre", "Lucía"), ("email", "no-es-email"), ("password", "larga-clave")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = browser
        .post(
            "/repartidores",
            &[("nombre", "Otra"), ("email", "REPARTIDOR1@belgrano.local"), ("password", "larga-clave")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Ya existe una cuenta con ese email."));
    assert!(!browser.get("/repartidores").await.body.contains("lucia@belgrano.local"));

    let page = browser
        .post(
            "/repartidores",
            &[
                ("nombre", "Lucía"),
                ("email", "Lucia@Belgrano.local"),
                ("telefono", "11-4444-0000"),
                ("password", "clave-de-lucia"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = browser.get("/repartidores?aviso=creado").await.body;
    assert!(list.contains("Cuenta creada.") && list.contains("lucia@belgrano.local") && list.contains("11-4444-0000"));
    let mut lucia = Browser::new(&app);
    assert_eq!(lucia.login("lucia@belgrano.local", "clave-de-lucia").await.location(), Some("/repartidor"));

    // Edit: name, phone and a new password.
    let id = id_in_list(&list, "lucia@belgrano.local");
    let edit = browser.get(&format!("/repartidores/{id}")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("value=\"Lucía\""));
    let page = browser
        .post(
            &format!("/repartidores/{id}"),
            &[
                ("nombre", "Lucía Gómez"),
                ("email", "lucia@belgrano.local"),
                ("telefono", ""),
                ("password", "nueva-clave-1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = browser.get("/repartidores").await.body;
    assert!(list.contains("Lucía Gómez") && !list.contains("11-4444-0000"));
    assert_eq!(
        Browser::new(&app).login("lucia@belgrano.local", "clave-de-lucia").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(Browser::new(&app).login("lucia@belgrano.local", "nueva-clave-1").await.status, StatusCode::SEE_OTHER);
    let page = browser
        .post(&format!("/repartidores/{id}"), &[("nombre", "Lucía"), ("email", "repartidor2@belgrano.local")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "another account's email");
    assert_eq!(browser.get("/repartidores/99999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(browser.get("/repartidores/abc").await.status, StatusCode::NOT_FOUND);

    // Availability: set by the dispatcher, switched by the courier.
    assert_eq!(
        browser.post(&format!("/repartidores/{id}/disponible"), &[("disponible", "no")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(row(&browser.get("/repartidores").await.body, "lucia@belgrano.local").contains("Habilitar"));
    let mut lucia = Browser::new(&app);
    lucia.login("lucia@belgrano.local", "nueva-clave-1").await;
    assert_eq!(lucia.post("/repartidor/disponibilidad", &[]).await.location(), Some("/repartidor"));
    assert!(row(&browser.get("/repartidores").await.body, "lucia@belgrano.local").contains("Pausar"));
    app.stop().await;
});

on_both_backends!(a_deactivated_courier_loses_access_and_their_open_tickets, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    for n in 0..10 {
        app.create(&format!("PED-ACC-{n}")).await;
    }
    let tickets = app.all_tickets().await;
    let victim_id = tickets[0]["repartidor_id"].as_i64().expect("assigned");
    let victim_name = tickets[0]["repartidor"].as_str().unwrap().to_owned();
    let victim_email = format!("{}@belgrano.local", victim_name.to_lowercase());
    let had = tickets.iter().filter(|t| t["repartidor_id"].as_i64() == Some(victim_id)).count();
    assert!(had > 0);

    let mut courier = Browser::new(&app);
    assert_eq!(courier.login(&victim_email, DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let mut browser = Browser::new(&app);
    browser.login(DEMO_ADMIN, DEMO_PASSWORD).await;
    // The old one-click switch now asks first (see personal.rs).
    let page = browser.post(&format!("/repartidores/{victim_id}/activo"), &[("activo", "no")]).await;
    assert_eq!(page.location(), Some(format!("/usuarios/{victim_id}/desactivar").as_str()));
    let page = browser.post(&format!("/usuarios/{victim_id}/desactivar"), &[("confirmar", "si")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some(format!("/usuarios?aviso=desactivado&movidos={had}").as_str()));

    let tickets = app.all_tickets().await;
    assert!(tickets.iter().all(|t| t["repartidor_id"].as_i64() != Some(victim_id)), "every open ticket moved");
    assert!(tickets.iter().all(|t| t["repartidor_id"].is_i64()), "to other couriers");
    // Their session ended and they cannot log in again.
    assert_eq!(courier.get("/cuenta/password").await.status, StatusCode::SEE_OTHER);
    let page = Browser::new(&app).login(&victim_email, DEMO_PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("desactivada"), "{}", page.body);
    // No new tickets either.
    for n in 0..5 {
        app.create(&format!("PED-ACC-NEW-{n}")).await;
    }
    assert!(app.all_tickets().await.iter().all(|t| t["repartidor_id"].as_i64() != Some(victim_id)));
    assert!(row(&browser.get("/repartidores").await.body, &victim_email).contains("Desactivado"));

    let page = browser.post(&format!("/repartidores/{victim_id}/activo"), &[("activo", "si")]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=reactivado"));
    assert_eq!(Browser::new(&app).login(&victim_email, DEMO_PASSWORD).await.location(), Some("/repartidor"));
    app.stop().await;
});

on_both_backends!(people_change_their_own_password, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut phone = Browser::new(&app);
    phone.login("repartidor4@belgrano.local", DEMO_PASSWORD).await;
    let mut laptop = Browser::new(&app);
    laptop.login("repartidor4@belgrano.local", DEMO_PASSWORD).await;

    let page = phone
        .post(
            "/cuenta/password",
            &[("actual", "equivocada"), ("nueva", "otra-clave-1"), ("confirmacion", "otra-clave-1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("La contraseña actual no es correcta."));
    let page = phone
        .post(
            "/cuenta/password",
            &[("actual", DEMO_PASSWORD), ("nueva", "otra-clave-1"), ("confirmacion", "otra-clave-2")],
        )
        .await;
    assert!(page.body.contains("La confirmación no coincide"));
    let page = phone
        .post("/cuenta/password", &[("actual", DEMO_PASSWORD), ("nueva", "corta"), ("confirmacion", "corta")])
        .await;
    assert!(page.body.contains("al menos 8 caracteres"));
    assert_eq!(
        Browser::new(&app).login("repartidor4@belgrano.local", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    let page = phone
        .post(
            "/cuenta/password",
            &[("actual", DEMO_PASSWORD), ("nueva", "otra-clave-1"), ("confirmacion", "otra-clave-1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Contraseña actualizada"));
    assert_eq!(phone.get("/cuenta/password").await.status, StatusCode::OK, "this session stays");
    assert_eq!(laptop.get("/cuenta/password").await.status, StatusCode::SEE_OTHER, "other sessions end");
    assert_eq!(
        Browser::new(&app).login("repartidor4@belgrano.local", DEMO_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        Browser::new(&app).login("repartidor4@belgrano.local", "otra-clave-1").await.status,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
});

on_both_backends!(static_files_are_served_with_cache_headers, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/login").await.body;
    let start = login.find("/static/app.css?v=").expect("the layout links the hashed stylesheet");
    let href = &login[start..login[start..].find('"').unwrap() + start];
    let css = browser.get(href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(css.headers["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    assert!(css.body.contains("header.site"));
    let plain = browser.get("/static/vendor/socket.io.min.js").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(browser.get("/static/nada.css").await.status, StatusCode::NOT_FOUND);
    app.stop().await;
});

/// The table row of the courier with `email` on the fleet page.
fn row<'a>(list: &'a str, email: &str) -> &'a str {
    list.split("<tr").find(|r| r.contains(email)).unwrap_or_else(|| panic!("{email} is listed"))
}

/// The id in the row's `data-id`.
fn id_in_list(list: &str, email: &str) -> i64 {
    let row = row(list, email);
    let start = row.find("data-id=\"").unwrap() + 9;
    row[start..start + row[start..].find('"').unwrap()].parse().unwrap()
}

on_both_backends!(changing_a_couriers_account_disconnects_their_live_connections, |db: TestDb| async move {
    use crate::helpers::logged_in;
    use crate::live::{assert_disconnected, assert_live, session_socket_refused, socket_of};
    let app = TestApp::with_couriers(&db).await;
    let mut desk = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let mut desk_socket = socket_of(&app, &desk).await;
    let bystander = logged_in(&app, "repartidor5@belgrano.local", DEMO_PASSWORD).await;
    let mut bystander_socket = socket_of(&app, &bystander).await;
    let list = desk.get("/repartidores").await.body;
    let id_of = |n: u32| id_in_list(&list, &format!("repartidor{n}@belgrano.local"));

    // Paused by despacho: the phone's socket goes, and may come back (its
    // session lives) to see the account as it is now.
    let mut courier = logged_in(&app, "repartidor1@belgrano.local", DEMO_PASSWORD).await;
    let mut phone = socket_of(&app, &courier).await;
    let paused = desk.post(&format!("/repartidores/{}/disponible", id_of(1)), &[("disponible", "no")]).await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert_disconnected(&mut phone, "cuenta-modificada").await;
    let mut phone = socket_of(&app, &courier).await;
    assert_live(&mut phone).await;
    // The courier switches it back themself: the same.
    assert_eq!(courier.post("/repartidor/disponibilidad", &[]).await.status, StatusCode::SEE_OTHER);
    assert_disconnected(&mut phone, "cuenta-modificada").await;

    // A new password set by despacho ends every session of the courier.
    let mut phone = socket_of(&app, &courier).await;
    let page = browser_update_password(&mut desk, id_of(1), "repartidor1@belgrano.local", "clave-nueva-1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_disconnected(&mut phone, "sesion-cerrada").await;
    assert!(session_socket_refused(&app, &courier.session().unwrap()).await);
    assert_eq!(courier.get("/repartidor").await.status, StatusCode::SEE_OTHER, "the page session ended too");

    // Deactivated: the same.
    let courier = logged_in(&app, "repartidor2@belgrano.local", DEMO_PASSWORD).await;
    let mut phone = socket_of(&app, &courier).await;
    let page = desk.post(&format!("/usuarios/{}/desactivar", id_of(2)), &[("confirmar", "si")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_disconnected(&mut phone, "sesion-cerrada").await;
    assert!(session_socket_refused(&app, &courier.session().unwrap()).await);

    // Nobody else was touched.
    assert_live(&mut desk_socket).await;
    assert_live(&mut bystander_socket).await;
    for (name, _) in desk_socket.drain(Duration::from_millis(300)).await {
        assert_ne!(name, "desconexion");
    }
    app.stop().await;
});

/// Despacho's edit form for courier `id`, with a new password.
async fn browser_update_password(desk: &mut Browser, id: i64, email: &str, password: &str) -> crate::helpers::Page {
    let nombre = format!("Repartidor{}", email.trim_start_matches("repartidor").chars().next().unwrap());
    desk.post(&format!("/repartidores/{id}"), &[("nombre", &nombre), ("email", email), ("password", password)]).await
}
