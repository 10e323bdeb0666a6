//! Who gets into the back office, through real HTTP on both backends:
//! anonymous visitors are sent to the login, customers get 403 on every
//! admin page and API, an encargado cannot manage staff, an admin creates
//! an encargado who logs in and lands on `/admin`, deactivating ends their
//! session, a JSON call without `X-CSRF-Token` changes nothing, the last
//! admin cannot demote themself, and `ADMIN_EMAIL` creates or updates the
//! admin at every start.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

pub const ADMIN: (&str, &str) = ("jefa@almacen.com.ar", "clave-de-la-jefa");

pub fn admin_settings(db: &TestDb, tickets: &str, password: &str) -> belgrano_ahorro::Settings {
    settings(db, tickets, &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", password)])
}

/// Logs `email` in through the login form (no `next`): the login's answer.
pub async fn login(b: &mut Browser, email: &str, password: &str) -> Page {
    b.get("/login").await;
    b.post_csrf("/login", &[("email", email), ("password", password)]).await
}

const PAGES: &[&str] = &["/admin", "/admin/envios", "/admin/pedidos", "/admin/personal"];

async fn customers_and_strangers_stay_out(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(admin_settings(&db, "http://127.0.0.1:9", ADMIN.1)).await;

    // Anonymous: to the login, coming back here afterwards.
    let mut anon = app.browser();
    let page = anon.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fadmin"));
    let page = anon.get("/admin/pedidos?estado=pendiente").await;
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fadmin%2Fpedidos%3Festado%3Dpendiente"));
    let (status, body) = api(&anon, Method::GET, "/api/admin/pedidos", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // A customer: 403 on every page, form and API, nothing changed.
    let mut cliente = app.browser();
    assert_eq!(cliente.register("cliente@example.com", &[]).await.status, StatusCode::SEE_OTHER);
    for path in PAGES {
        let page = cliente.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("sólo para el personal"), "{path}: {}", page.body);
    }
    for path in ["/admin/personal", "/admin/envios/1/reintentar", "/admin/personal/1/activo"] {
        let page = cliente.post_csrf(path, &[("email", "x@y.com"), ("activo", "no")]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    let csrf = cliente.get("/carrito").await.csrf();
    let calls: &[(Method, &str, Option<Value>)] = &[
        (Method::GET, "/api/admin/pedidos", None),
        (Method::GET, "/api/admin/pedidos.csv", None),
        (Method::GET, "/api/admin/envios", None),
        (Method::POST, "/api/admin/envios/1/reintentar", Some(json!({}))),
        (Method::GET, "/api/admin/personal", None),
        (
            Method::POST,
            "/api/admin/personal",
            Some(json!({"email": "colado@example.com", "nombre": "Colado", "rol": "admin", "password": "secreta123"})),
        ),
        (Method::PATCH, "/api/admin/personal/1", Some(json!({"rol": "admin"}))),
    ];
    for (method, path, body) in calls {
        let (status, answer) = api(&cliente, method.clone(), path, body.clone(), Some(&csrf)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_eq!(answer["success"], false);
    }
    // The customer could not make themself staff.
    let mut admin = app.browser();
    assert_eq!(login(&mut admin, ADMIN.0, ADMIN.1).await.location.as_deref(), Some("/admin"));
    let (_, personal) = api(&admin, Method::GET, "/api/admin/personal", None, None).await;
    assert_eq!(personal["count"], 1, "{personal}");
    // A customer logging in lands on the shop, not the back office.
    let mut otra = app.browser();
    assert_eq!(login(&mut otra, "cliente@example.com", "secreto123").await.location.as_deref(), Some("/"));
    app.stop().await;
}
on_both_backends!(customers_and_strangers_stay_out);

async fn an_admin_manages_staff(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(admin_settings(&db, "http://127.0.0.1:9", ADMIN.1)).await;
    let mut admin = app.browser();
    let page = login(&mut admin, ADMIN.0, ADMIN.1).await;
    assert_eq!(page.location.as_deref(), Some("/admin"), "staff land on the back office");
    let panel = admin.get("/admin").await;
    assert_eq!(panel.status, StatusCode::OK);
    assert!(panel.body.contains(r#"<meta name="csrf-token" content=""#));
    assert!(panel.body.contains(r#"href="/admin/personal""#), "an admin sees Personal");

    // A bad form names the field and creates nothing.
    let page = admin
        .post_csrf(
            "/admin/personal",
            &[("email", "no-es-email"), ("nombre", "Caro"), ("rol", "encargado"), ("password", "encargada1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("El email"), "{}", page.body);
    // The form creates an encargado.
    let page = admin
        .post_csrf(
            "/admin/personal",
            &[("email", "Caro@Almacen.com.ar"), ("nombre", "Caro"), ("rol", "encargado"), ("password", "encargada1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/admin/personal?hecho=creado"));
    let list = admin.get("/admin/personal?hecho=creado").await;
    assert!(list.body.contains("caro@almacen.com.ar") && list.body.contains("Cuenta creada"), "{}", list.body);
    let (_, personal) = api(&admin, Method::GET, "/api/admin/personal", None, None).await;
    let caro = personal["personal"].as_array().unwrap().iter().find(|m| m["email"] == "caro@almacen.com.ar").unwrap();
    assert_eq!((caro["rol"].as_str(), caro["activo"].as_bool()), (Some("encargado"), Some(true)));
    let caro_id = caro["id"].as_i64().unwrap();
    // The same email again: refused.
    let csrf = admin.get("/carrito").await.csrf();
    let nueva = json!({"email": "caro@almacen.com.ar", "nombre": "Otra", "rol": "admin", "password": "otraclave1"});
    let (status, answer) = api(&admin, Method::POST, "/api/admin/personal", Some(nueva), Some(&csrf)).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::CONFLICT, Some("email")), "{answer}");

    // The encargado logs in, lands on /admin, but cannot manage staff.
    let mut caro = app.browser();
    assert_eq!(login(&mut caro, "caro@almacen.com.ar", "encargada1").await.location.as_deref(), Some("/admin"));
    let panel = caro.get("/admin").await;
    assert_eq!(panel.status, StatusCode::OK);
    assert!(!panel.body.contains(r#"href="/admin/personal""#), "an encargado does not see Personal");
    assert_eq!(caro.get("/admin/pedidos").await.status, StatusCode::OK);
    assert_eq!(caro.get("/admin/personal").await.status, StatusCode::FORBIDDEN);
    let caro_csrf = caro.get("/carrito").await.csrf();
    let (status, _) = api(&caro, Method::GET, "/api/admin/personal", None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api(
        &caro,
        Method::PATCH,
        &format!("/api/admin/personal/{caro_id}"),
        Some(json!({"rol": "admin"})),
        Some(&caro_csrf),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an encargado cannot promote themself");
    let page = caro.post_csrf(&format!("/admin/personal/{caro_id}/rol"), &[("rol", "admin")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // JSON without X-CSRF-Token (or with another one): 403, nothing changed.
    let patch = json!({"activo": false});
    let path = format!("/api/admin/personal/{caro_id}");
    let (status, answer) = api(&admin, Method::PATCH, &path, Some(patch.clone()), None).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::FORBIDDEN, Some("X-CSRF-Token")), "{answer}");
    let (status, _) = api(&admin, Method::PATCH, &path, Some(patch.clone()), Some("otro-token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let nuevo = json!({"email": "sin-token@almacen.com.ar", "nombre": "X", "rol": "admin", "password": "secreta123"});
    let (status, _) = api(&admin, Method::POST, "/api/admin/personal", Some(nuevo), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(caro.get("/admin").await.status, StatusCode::OK, "still active and logged in");
    let (_, personal) = api(&admin, Method::GET, "/api/admin/personal", None, None).await;
    assert_eq!(personal["count"], 2, "nobody was created: {personal}");

    // A bad change names its field.
    let (status, answer) = api(&admin, Method::PATCH, &path, Some(json!({"rol": "jefe"})), Some(&csrf)).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::BAD_REQUEST, Some("rol")));

    // Deactivated from the page: the encargado's session ends, and the
    // login is refused.
    let page = admin.post_csrf(&format!("/admin/personal/{caro_id}/activo"), &[("activo", "no")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = caro.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "the session ended");
    assert!(page.location.unwrap().starts_with("/login"));
    let mut again = app.browser();
    assert_eq!(login(&mut again, "caro@almacen.com.ar", "encargada1").await.status, StatusCode::UNAUTHORIZED);

    // Reactivated with a new password (JSON): the old one no longer works.
    let body = json!({"activo": true, "password": "nueva-clave-9"});
    let (status, answer) = api(&admin, Method::PATCH, &path, Some(body), Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["activo"], true);
    assert_eq!(login(&mut again, "caro@almacen.com.ar", "encargada1").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&mut again, "caro@almacen.com.ar", "nueva-clave-9").await.location.as_deref(), Some("/admin"));

    // The last active admin cannot demote or deactivate themself.
    let (_, me) = api(&admin, Method::GET, "/api/admin/personal", None, None).await;
    let me = me["personal"].as_array().unwrap().iter().find(|m| m["email"] == ADMIN.0).unwrap()["id"].as_i64().unwrap();
    let mine = format!("/api/admin/personal/{me}");
    let (status, answer) = api(&admin, Method::PATCH, &mine, Some(json!({"rol": "encargado"})), Some(&csrf)).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::CONFLICT, Some("rol")), "{answer}");
    let (status, answer) = api(&admin, Method::PATCH, &mine, Some(json!({"activo": false})), Some(&csrf)).await;
    assert_eq!((status, answer["campo"].as_str()), (StatusCode::CONFLICT, Some("activo")));
    let page = admin.post_csrf(&format!("/admin/personal/{me}/activo"), &[("activo", "no")]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("último administrador"), "{}", page.body);
    assert_eq!(admin.get("/admin/personal").await.status, StatusCode::OK, "still an admin");
    // With a second admin, the first may step down.
    let (status, _) = api(&admin, Method::PATCH, &path, Some(json!({"rol": "admin"})), Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = api(&admin, Method::PATCH, &mine, Some(json!({"rol": "encargado"})), Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(admin.get("/admin/personal").await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
on_both_backends!(an_admin_manages_staff);

async fn admin_email_creates_or_updates_the_admin_at_every_start(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(admin_settings(&db, "http://127.0.0.1:9", ADMIN.1)).await;
    let mut b = app.browser();
    assert_eq!(login(&mut b, ADMIN.0, ADMIN.1).await.location.as_deref(), Some("/admin"), "created");
    // Another admin demotes the first to encargado.
    let csrf = b.get("/carrito").await.csrf();
    let otra = json!({"email": "socia@almacen.com.ar", "nombre": "Socia", "rol": "admin", "password": "la-socia-1"});
    let (status, socia) = api(&b, Method::POST, "/api/admin/personal", Some(otra), Some(&csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{socia}");
    let mut s = app.browser();
    login(&mut s, "socia@almacen.com.ar", "la-socia-1").await;
    let s_csrf = s.get("/carrito").await.csrf();
    let (_, list) = api(&s, Method::GET, "/api/admin/personal", None, None).await;
    let jefa =
        list["personal"].as_array().unwrap().iter().find(|m| m["email"] == ADMIN.0).unwrap()["id"].as_i64().unwrap();
    let (status, _) = api(
        &s,
        Method::PATCH,
        &format!("/api/admin/personal/{jefa}"),
        Some(json!({"rol": "encargado"})),
        Some(&s_csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;

    // The next start with a new ADMIN_PASSWORD: an admin again, with it.
    let app = TestApp::start(admin_settings(&db, "http://127.0.0.1:9", "otra-clave-nueva")).await;
    let mut b = app.browser();
    assert_eq!(login(&mut b, ADMIN.0, ADMIN.1).await.status, StatusCode::UNAUTHORIZED, "the old password is gone");
    assert_eq!(login(&mut b, ADMIN.0, "otra-clave-nueva").await.location.as_deref(), Some("/admin"));
    assert_eq!(b.get("/admin/personal").await.status, StatusCode::OK, "an admin again");
    app.stop().await;
}
on_both_backends!(admin_email_creates_or_updates_the_admin_at_every_start);

async fn the_demo_admin_exists_in_development_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut dev = settings(&db, "http://127.0.0.1:9", &[]);
    dev.seed_demo_users = true;
    let app = TestApp::start(dev).await;
    let (email, password) = belgrano_ahorro::startup::DEMO_ADMIN;
    let mut b = app.browser();
    assert_eq!(login(&mut b, email, password).await.location.as_deref(), Some("/admin"));
    assert_eq!(b.get("/admin/personal").await.status, StatusCode::OK, "the demo admin is an admin");
    app.stop().await;
    // Without demo accounts (production), the same database refuses it.
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut b = app.browser();
    assert_eq!(login(&mut b, email, password).await.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
on_both_backends!(the_demo_admin_exists_in_development_only);
