//! The shop's pages as a browser without JavaScript uses them: plain GETs
//! and form posts with the session cookie and CSRF values.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_backends;

async fn tickets() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            ResponseTemplate::new(200).set_body_json(ticket_creado(41, body["numero"].as_str().unwrap()))
        })
        .mount(&server)
        .await;
    server
}

async fn catalogue_pages(backend: Backend) {
    let tickets = tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut b = app.browser();

    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.len() < 40_000, "home page is {} bytes", home.body.len());
    assert!(
        home.body.contains("Arroz 1kg")
            && home.body.contains("$\u{a0}950")
            && home.body.contains("<s>$\u{a0}1.200</s>")
    );
    assert!(home.body.contains("-21%"), "discount shown");
    assert!(home.body.contains("/negocio/belgrano_ahorro") && home.body.contains("/categoria/lacteos"));
    assert!(!home.body.contains("http://") && !home.body.contains("https://"), "no external assets");
    assert!(b.cookie.is_some(), "a session cookie is set on the first visit");

    let found = b.get("/?busqueda=azucar").await;
    assert!(found.body.contains("Azúcar 1kg"), "accent-insensitive search");
    assert!(!found.body.contains("Arroz 1kg"));
    assert!(b.get("/?busqueda=AZÚCAR%20RUBIA").await.body.contains("Azúcar Rubia 1kg"));
    assert!(b.get("/?busqueda=zzzz").await.body.contains("No encontramos productos"));

    let lacteos = b.get("/categoria/lacteos").await;
    assert_eq!(lacteos.status, 200);
    assert!(lacteos.body.contains("30 productos") && lacteos.body.contains("Página 1 de 2"));
    assert!(b.get("/categoria/lacteos?pagina=2").await.body.contains("Página 2 de 2"));
    let negocio = b.get("/negocio/maxi_descuento").await;
    assert!(negocio.body.contains("Maxi Descuento") && negocio.body.contains("Sucursal Principal"));
    let producto = b.get("/producto/2").await;
    assert!(
        producto.body.contains("Aceite 900ml")
            && producto.body.contains("$\u{a0}1.800")
            && producto.body.contains("45 disponibles")
    );
    assert!(producto.body.contains("src=\"/static/ilustraciones/aceite.svg\""), "an illustration, no photo yet");

    for missing in ["/negocio/nada", "/categoria/nada", "/producto/99999", "/producto/abc", "/no-existe"] {
        let page = b.get(missing).await;
        assert_eq!(page.status, 404, "{missing}");
        // The shop around it: header with search and cart, and a way on.
        for part in ["role=\"search\"", "id=\"cart-count\"", "Volver al inicio", "/negocio/maxi_descuento"] {
            assert!(page.body.contains(part), "{missing} lacks {part}");
        }
    }
    let api = app.client.get(format!("{}/api/no-existe", app.address)).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<serde_json::Value>().await.unwrap()["error"], "ruta no encontrada");
    let icon = app.client.get(format!("{}/favicon.ico", app.address)).send().await.unwrap();
    assert_eq!((icon.status().as_u16(), icon.headers()["content-type"].to_str().unwrap()), (200, "image/x-icon"));
    assert!(b.get("/").await.body.contains("href=\"/static/favicon.svg\""), "the pages name the icon");
    let css = app.client.get(format!("{}/static/app.css", app.address)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    app.stop().await;
}
on_both_backends!(catalogue_pages);

async fn cart_with_csrf_and_stock_limits(backend: Backend) {
    let tickets = tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut b = app.browser();
    b.get("/").await;

    // Without a CSRF value nothing changes.
    let refused = b.post("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    assert_eq!(refused.status, 403);
    let refused =
        b.post("/carrito/agregar", &[("csrf", &"0".repeat(64)), ("producto_id", "1"), ("cantidad", "2")]).await;
    assert_eq!(refused.status, 403);
    assert!(b.get("/carrito").await.body.contains("Tu carrito está vacío"));

    let added = b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    assert_eq!(added.status, 303);
    // Quantity is clamped to stock (50).
    b.post_csrf("/carrito/actualizar", &[("producto_id", "1"), ("cantidad", "500")]).await;
    let cart = b.get("/carrito").await;
    assert!(cart.body.contains("value=\"50\""), "clamped to stock");
    assert!(cart.body.contains("$\u{a0}47.500"), "a non-breaking space in prices");
    let bad = b.post_csrf("/carrito/agregar", &[("producto_id", "99999"), ("cantidad", "1")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("El producto no existe"));
    let bad = b.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "-1")]).await;
    assert_eq!(bad.status, 400);
    b.post_csrf("/carrito/actualizar", &[("producto_id", "1"), ("cantidad", "0")]).await;
    assert!(b.get("/carrito").await.body.contains("Tu carrito está vacío"));

    // The script's JSON answer carries the header count.
    let csrf = b.get("/carrito").await.csrf();
    let response = app
        .client
        .post(format!("{}/carrito/agregar", app.address))
        .header("Cookie", b.cookie.clone().unwrap())
        .header("Accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencode(&[("csrf", csrf.as_str()), ("producto_id", "5"), ("cantidad", "3")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["unidades"], 3);
    assert!(b.get("/").await.body.contains("id=\"cart-count\" class=\"badge\">3<"));
    b.post_csrf("/carrito/vaciar", &[("confirmar", "si")]).await;
    assert!(b.get("/carrito").await.body.contains("Tu carrito está vacío"));
    app.stop().await;
}
on_both_backends!(cart_with_csrf_and_stock_limits);

async fn accounts_checkout_and_orders(backend: Backend) {
    let tickets = tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;

    // A guest fills a cart, registers (the cart follows), checks out.
    let mut ana = app.browser();
    ana.get("/").await;
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    let guest_cookie = ana.cookie.clone().unwrap();
    let bad = ana.register("ana@example.com", &[("password", "corta"), ("confirmar_password", "corta")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("La contraseña") && bad.body.contains("ana@example.com"), "form re-shown with a message");
    let registered = ana.register("ana@example.com", &[]).await;
    assert_eq!(registered.status, 303);
    let login_cookie = ana.cookie.clone().unwrap();
    assert_ne!(guest_cookie, login_cookie, "a new session id at login");
    let again = app.browser().register("ANA@example.com", &[]).await;
    assert!(again.body.contains("Ya existe una cuenta"));

    let cart = ana.get("/carrito").await;
    assert!(cart.body.contains("Arroz 1kg"), "guest cart kept");
    let form = ana.get("/checkout").await;
    assert!(
        form.body.contains("value=\"Juramento 2000\"") && form.body.contains("value=\"ana@example.com\""),
        "prefilled"
    );
    let missing = ana
        .post_csrf(
            "/checkout",
            &[
                ("nombre", "Ana"),
                ("apellido", "Gómez"),
                ("email", "ana@example.com"),
                ("direccion", ""),
                ("metodo_pago", "efectivo"),
            ],
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.body.contains("<p class=\"field-error\" id=\"error-calle\">La calle es obligatoria.</p>"),
        "{}",
        missing.body
    );
    let done = ana
        .post_csrf(
            "/checkout",
            &[
                ("nombre", "Ana"),
                ("apellido", "Gómez"),
                ("email", "ana@example.com"),
                ("telefono", "1"),
                ("direccion", "Juramento 2000"),
                ("metodo_pago", "transferencia"),
                ("notas", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.unwrap();
    assert!(location.starts_with("/pedido/PED-"));
    let numero = location.trim_start_matches("/pedido/").to_owned();
    let confirmation = ana.get(&location).await;
    assert!(
        confirmation.body.contains(&numero) && confirmation.body.contains("(n.º <span class=\"ticket-id\">41</span>)")
    );
    assert!(confirmation.body.contains("$\u{a0}1.900") && confirmation.body.contains("Repartidor1"));
    assert!(ana.get("/carrito").await.body.contains("Tu carrito está vacío"));
    let mine = ana.get("/mis_pedidos").await;
    assert!(mine.body.contains(&numero));
    assert!(ana.get("/perfil").await.body.contains("1 pedido ·"));

    // Someone else cannot see it.
    let mut other = app.browser();
    other.register("otro@example.com", &[]).await;
    assert_eq!(other.get(&location).await.status, 404);
    assert_eq!(app.browser().get(&location).await.status, 404);
    assert!(!other.get("/mis_pedidos").await.body.contains(&numero));

    // Repeat fills the cart.
    let repeat = ana.post_csrf(&format!("/mis_pedidos/{numero}/repetir"), &[]).await;
    assert_eq!(repeat.status, 303);
    assert!(ana.get("/carrito").await.body.contains("Arroz 1kg"));

    // Logout, then login merges a new guest cart into the account's.
    let logout = ana.post_csrf("/logout", &[]).await;
    assert_eq!(logout.status, 303);
    assert_eq!(ana.get("/mis_pedidos").await.status, 303, "logged out");
    ana.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "1")]).await;
    let wrong = ana.post_csrf("/login", &[("email", "ana@example.com"), ("password", "incorrecta")]).await;
    assert_eq!(wrong.status, 401);
    let ok = ana
        .post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123"), ("next", "/carrito")])
        .await;
    assert_eq!(ok.location.as_deref(), Some("/carrito"));
    let merged = ana.get("/carrito").await;
    assert!(merged.body.contains("Arroz 1kg") && merged.body.contains("Aceite 900ml"), "carts merged");

    // Profile edits and password change.
    let edited = ana
        .post_csrf(
            "/perfil",
            &[("nombre", "Ana María"), ("apellido", "Gómez"), ("telefono", "2"), ("direccion", "Cabildo 1")],
        )
        .await;
    assert!(edited.body.contains("Datos guardados") && edited.body.contains("Ana María"));
    let changed = ana
        .post_csrf(
            "/perfil/password",
            &[("actual", "secreto123"), ("password", "nuevo-secreto"), ("confirmar_password", "nuevo-secreto")],
        )
        .await;
    assert!(changed.body.contains("Contraseña cambiada"));
    let mut fresh = app.browser();
    let login = fresh.post_csrf("/login", &[("email", "ana@example.com"), ("password", "nuevo-secreto")]).await;
    assert_eq!(login.status, 303);
    app.stop().await;
}
on_both_backends!(accounts_checkout_and_orders);

#[tokio::test]
async fn merchants_need_a_valid_cuit_and_their_orders_are_urgent() {
    let tickets = tickets().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut m = app.browser();
    let merchant = [("comerciante", "si"), ("nombre_negocio", "Almacén Pepe"), ("tipo_negocio", "almacén")];
    let mut bad = merchant.to_vec();
    bad.push(("cuit", "20-12345678-5"));
    let page = m.register("pepe@example.com", &bad).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("El CUIT no es válido: revisá el último dígito (el verificador)."), "{}", page.body);
    let mut good = merchant.to_vec();
    good.push(("cuit", "20123456786"));
    assert_eq!(m.register("pepe@example.com", &good).await.status, 303);
    assert!(m.get("/perfil").await.body.contains("20-12345678-6"));
    // JSON checkout from the session: cliente and direccion from the account.
    m.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "1")]).await;
    let (status, answer) = m.post_json("/api/checkout", &serde_json::json!({"metodo_pago": "efectivo"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["pedido"]["cliente"], "Ana Gómez");
    let sent: Value = serde_json::from_slice(&posted(&tickets).await[0].body).unwrap();
    assert_eq!(sent["tipo_cliente"], "comerciante");
    assert_eq!(sent["prioridad"], "alta");
    assert_eq!(sent["cliente_direccion"], "Juramento 2000");
    assert!(m.get("/carrito").await.body.contains("Tu carrito está vacío"));
    app.stop().await;
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let response = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    app.stop().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let prod = settings(&db, "http://127.0.0.1:9", &[("RENDER_ENVIRONMENT", "production")]);
    let app = TestApp::start(prod).await;
    let response = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
    app.stop().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_email_for_a_while() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut owner = app.browser();
    owner.register("victima@example.com", &[]).await;
    let mut attacker = app.browser();
    for _ in 0..belgrano_ahorro::accounts::MAX_FAILED_LOGINS {
        let page = attacker.post_csrf("/login", &[("email", "victima@example.com"), ("password", "adivinanza")]).await;
        assert_eq!(page.status, 401);
    }
    // Even the right password is refused now, with a clear message.
    let page = attacker.post_csrf("/login", &[("email", "victima@example.com"), ("password", "secreto123")]).await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("Demasiados intentos"));
    // Other accounts are not affected.
    let mut other = app.browser();
    other.register("otra@example.com", &[]).await;
    other.post_csrf("/logout", &[]).await;
    let page = other.post_csrf("/login", &[("email", "otra@example.com"), ("password", "secreto123")]).await;
    assert_eq!(page.status, 303);
    app.stop().await;
}
