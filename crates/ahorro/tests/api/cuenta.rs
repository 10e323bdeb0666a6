//! Ways back in and the customer's own data, through HTTP: a guest finds an
//! order again at `/buscar-pedido` (one neutral answer, limited per
//! address), login and registration come back to `next` and only to a
//! path of the shop, the data export and the account's erasure.

use belgrano_ahorro::store::{CLIENTE_ELIMINADO, Store};
use serde_json::{Value, json};

use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

const NEUTRAL: &str = "No encontramos un pedido con esos datos";

/// A guest order by API (juan@example.com); its number and tracking path.
async fn guest_order(app: &TestApp) -> (String, String) {
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!(status, 200, "{answer}");
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let url = answer["pedido"]["seguimiento_url"].as_str().unwrap();
    let path = url[url.find("/seguimiento/").unwrap()..].to_owned();
    (numero, path)
}

async fn a_guest_finds_an_order_again(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (numero, tracking) = guest_order(&app).await;

    let mut guest = app.browser();
    let form = guest.get("/buscar-pedido").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"numero\"") && form.body.contains("name=\"email\""));
    assert!(guest.get("/").await.body.contains("href=\"/buscar-pedido\""), "linked from the layout");
    // Without the form's token: refused.
    let forged = guest.post("/buscar-pedido", &[("numero", &numero), ("email", "juan@example.com")]).await;
    assert_eq!(forged.status, 403);

    // The right pair, typed loosely: to the order's tracking page.
    let padded = format!("  {numero} ");
    let found = guest.post_csrf("/buscar-pedido", &[("numero", &padded), ("email", " Juan@Example.COM ")]).await;
    assert_eq!(found.status, 303, "{}", found.body);
    assert_eq!(found.location.as_deref(), Some(tracking.as_str()));
    let page = guest.get(&tracking).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&numero));

    // Empty fields: a message beside each.
    let empty = guest.post_csrf("/buscar-pedido", &[("numero", ""), ("email", "no-es-un-email")]).await;
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("El número de pedido no puede estar vacío."), "{}", empty.body);
    assert!(empty.body.contains("El email no es válido (por ejemplo nombre@dominio.com)."));

    // A wrong e-mail for a real number and an unknown number: one answer.
    let wrong_email = guest.post_csrf("/buscar-pedido", &[("numero", &numero), ("email", "otro@example.com")]).await;
    let unknown = "PED-00000000-XXXX";
    let wrong_number = guest.post_csrf("/buscar-pedido", &[("numero", unknown), ("email", "otro@example.com")]).await;
    assert_eq!(wrong_email.status, 404);
    assert_eq!(wrong_number.status, wrong_email.status);
    assert!(wrong_email.body.contains(NEUTRAL));
    // The same page but for the number typed, which is shown back.
    assert_eq!(wrong_number.body.replace(unknown, "N"), wrong_email.body.replace(&numero, "N"));
    app.stop().await;
}
on_both_backends!(a_guest_finds_an_order_again);

async fn lookups_are_limited_per_address(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (numero, _) = guest_order(&app).await;
    let mut guest = app.browser();
    // A right pair does not count.
    let found = guest.post_csrf("/buscar-pedido", &[("numero", &numero), ("email", "juan@example.com")]).await;
    assert_eq!(found.status, 303);
    for i in 0..belgrano_ahorro::lookup::MAX_FAILED_LOOKUPS {
        let wrong = format!("nadie{i}@example.com");
        let page = guest.post_csrf("/buscar-pedido", &[("numero", &numero), ("email", &wrong)]).await;
        assert_eq!(page.status, 404, "try {i}");
    }
    // Then even the right pair is refused, from a new browser too (same
    // address), in Spanish; logins from the address are not affected.
    let mut other = app.browser();
    let limited = other.post_csrf("/buscar-pedido", &[("numero", &numero), ("email", "juan@example.com")]).await;
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("Hiciste demasiados intentos"), "{}", limited.body);
    assert!(!limited.body.contains(NEUTRAL));
    let mut ana = app.browser();
    assert_eq!(ana.register("ana@example.com", &[]).await.status, 303);
    ana.post_csrf("/logout", &[]).await;
    let login = ana.post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123")]).await;
    assert_eq!(login.status, 303);
    app.stop().await;
}
on_both_backends!(lookups_are_limited_per_address);

async fn login_comes_back_to_next_with_the_cart(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut setup = app.browser();
    assert_eq!(setup.register("ana@example.com", &[]).await.status, 303);

    // A guest with a cart goes to log in from the checkout.
    let mut ana = app.browser();
    ana.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "3")]).await;
    let form = ana.get("/login?next=%2Fcheckout").await;
    assert!(form.body.contains("name=\"next\" value=\"/checkout\""), "{}", form.body);
    assert!(form.body.contains("href=\"/register?next=%2Fcheckout\""));
    let login = ana
        .post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123"), ("next", "/checkout")])
        .await;
    assert_eq!(login.status, 303);
    assert_eq!(login.location.as_deref(), Some("/checkout"));
    let checkout = ana.get("/checkout").await;
    assert_eq!(checkout.status, 200);
    assert!(checkout.body.contains("Aceite 900ml"), "the guest cart came along: {}", checkout.body);
    assert!(ana.get("/carrito").await.body.contains("Aceite 900ml"));

    // Registration comes back too.
    let mut bea = app.browser();
    let page = bea.get("/register?next=%2Fcheckout").await;
    assert!(page.body.contains("name=\"next\" value=\"/checkout\""));
    assert_eq!(bea.register("bea@example.com", &[("next", "/checkout")]).await.location.as_deref(), Some("/checkout"));

    // Anywhere outside the shop: home instead.
    for evil in
        ["//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)", "/\t/evil.com", "http:evil.com"]
    {
        let mut b = app.browser();
        let login =
            b.post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123"), ("next", evil)]).await;
        assert_eq!(login.status, 303, "{evil:?}");
        assert_eq!(login.location.as_deref(), Some("/"), "{evil:?}");
        let form = app.browser().get(&format!("/login?next={}", &urlencode(&[("x", evil)])[2..])).await;
        assert!(form.body.contains("name=\"next\" value=\"/\""), "{evil:?}");
    }
    let mut c = app.browser();
    let evil = c.register("cae@example.com", &[("next", "//evil.com")]).await;
    assert_eq!(evil.location.as_deref(), Some("/"));

    // Pages that need an account send to the login and back.
    let mut guest = app.browser();
    for (page, next) in [
        ("/perfil", "%2Fperfil"),
        ("/mis_pedidos", "%2Fmis_pedidos"),
        ("/perfil/datos", "%2Fperfil%2Fdatos"),
        ("/perfil/eliminar", "%2Fperfil%2Feliminar"),
    ] {
        let answer = guest.get(page).await;
        assert_eq!(answer.status, 303, "{page}");
        assert_eq!(answer.location, Some(format!("/login?next={next}")), "{page}");
    }
    app.stop().await;
}
on_both_backends!(login_comes_back_to_next_with_the_cart);

/// A registered customer with one order (placed from the session).
async fn customer_with_an_order(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = app.browser();
    assert_eq!(b.register(email, &[]).await.status, 303);
    b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    let (status, answer) =
        b.post_json("/api/checkout", &json!({"metodo_pago": "efectivo", "notas": "Timbre 3B"})).await;
    assert_eq!(status, 200, "{answer}");
    (b, answer["pedido"]["numero"].as_str().unwrap().to_owned())
}

async fn the_export_holds_the_profile_and_the_orders(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (mut ana, numero) = customer_with_an_order(&app, "ana@example.com").await;
    let (_, ajeno) = customer_with_an_order(&app, "otro@example.com").await;

    assert!(ana.get("/perfil").await.body.contains("href=\"/perfil/datos\""));
    ana.get("/contacto").await;
    let sent = ana
        .post_csrf("/contacto", &[("nombre", "Ana"), ("email", "ana@example.com"), ("mensaje", "¿Llevan a Núñez?")])
        .await;
    assert!(sent.status.as_u16() < 400, "{}", sent.status);
    let response = app
        .client
        .get(format!("{}/perfil/datos", app.address))
        .header("Cookie", ana.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".json"), "{disposition}");
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["perfil"]["email"], "ana@example.com");
    assert_eq!(export["perfil"]["nombre"], "Ana");
    assert_eq!(export["perfil"]["apellido"], "Gómez");
    assert_eq!(export["perfil"]["telefono"], "011-4444-5555");
    assert_eq!(export["perfil"]["direccion"], "Juramento 2000");
    let pedidos = export["pedidos"].as_array().unwrap();
    assert_eq!(pedidos.len(), 1, "only her own: {export}");
    assert_eq!(pedidos[0]["numero"], numero.as_str());
    assert_ne!(pedidos[0]["numero"], ajeno.as_str());
    assert_eq!(pedidos[0]["notas"], "Timbre 3B");
    // $ 1.900 of products and the default zone's $ 1.500 of delivery.
    assert_eq!(pedidos[0]["total"], 3400.0);
    assert_eq!(
        pedidos[0]["items"][0],
        json!({"producto_id": 1, "nombre": "Arroz 1kg", "cantidad": 2, "precio_unitario": 950.0, "subtotal": 1900.0})
    );
    // What she wrote at /contacto is hers too (Ley 25.326: access); a
    // customer has no bundles.
    let mensajes = export["mensajes"].as_array().unwrap();
    assert_eq!(mensajes.len(), 1, "{export}");
    assert_eq!(mensajes[0]["mensaje"], "¿Llevan a Núñez?");
    assert_eq!(export["paquetes"], json!([]));
    assert!(export.to_string().find("password").is_none(), "never the hash");
    // Not for guests.
    assert_eq!(ana.post_csrf("/logout", &[]).await.status, 303);
    assert_eq!(ana.get("/perfil/datos").await.status, 303);
    app.stop().await;
}
on_both_backends!(the_export_holds_the_profile_and_the_orders);

async fn the_email_changes_with_the_password(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut ana = app.browser();
    assert_eq!(ana.register("ana@example.com", &[]).await.status, 303);
    assert_eq!(app.browser().register("otro@example.com", &[]).await.status, 303);

    let wrong = ana.post_csrf("/perfil/email", &[("email", "nueva@example.com"), ("password", "incorrecta")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("La contraseña no es correcta"));
    let taken = ana.post_csrf("/perfil/email", &[("email", "Otro@example.com"), ("password", "secreto123")]).await;
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains("Ya existe una cuenta con ese email"));
    let invalid = ana.post_csrf("/perfil/email", &[("email", "no-es"), ("password", "secreto123")]).await;
    assert!(invalid.body.contains("El email no es válido"), "{}", invalid.body);
    let done = ana.post_csrf("/perfil/email", &[("email", " Nueva@Example.com "), ("password", "secreto123")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Email cambiado") && done.body.contains("nueva@example.com"));

    let mut later = app.browser();
    let old = later.post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123")]).await;
    assert_eq!(old.status, 401);
    let new = later.post_csrf("/login", &[("email", "nueva@example.com"), ("password", "secreto123")]).await;
    assert_eq!(new.status, 303);
    app.stop().await;
}
on_both_backends!(the_email_changes_with_the_password);

async fn deleting_an_account_keeps_its_orders_anonymised(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let (mut ana, numero) = customer_with_an_order(&app, "ana@example.com").await;
    let (_, ajeno) = customer_with_an_order(&app, "otro@example.com").await;
    // A second session of hers, elsewhere, with a cart.
    let mut phone = app.browser();
    let login = phone.post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123")]).await;
    assert_eq!(login.status, 303);
    phone.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "1")]).await;

    let page = ana.get("/perfil/eliminar").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Qué se conserva y por qué") && page.body.contains("Ley 25.326"), "{}", page.body);
    let wrong = ana.post_csrf("/perfil/eliminar", &[("password", "incorrecta")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("La contraseña no es correcta"));
    assert_eq!(phone.get("/perfil").await.status, 200, "nothing happened yet");

    let done = ana.post_csrf("/perfil/eliminar", &[("password", "secreto123")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Tu cuenta fue eliminada"));
    // Every session ended, this one's and the other device's.
    assert_eq!(ana.get("/perfil").await.status, 303);
    assert_eq!(phone.get("/perfil").await.status, 303);
    assert!(phone.get("/carrito").await.body.contains("Tu carrito está vacío"));
    // The login no longer works; the e-mail may register again.
    let mut later = app.browser();
    let login = later.post_csrf("/login", &[("email", "ana@example.com"), ("password", "secreto123")]).await;
    assert_eq!(login.status, 401);
    assert_eq!(later.register("ana@example.com", &[]).await.status, 303);
    assert!(!later.get("/mis_pedidos").await.body.contains(&numero), "the new account is not the old one");

    // The order stays for the books, without her.
    let store = Store::connect(&db.url).await.unwrap();
    let pedido = store.pedido(&numero).await.unwrap().expect("the order is kept");
    assert_eq!(pedido.cliente.nombre, CLIENTE_ELIMINADO);
    assert_eq!(pedido.cliente.apellido, "");
    assert_eq!(pedido.cliente.email, "");
    assert_eq!(pedido.cliente.telefono, "");
    assert_eq!(pedido.direccion, "");
    assert_eq!(pedido.notas, "");
    assert_eq!(pedido.usuario_id, None);
    assert_eq!(pedido.total.0, 340_000, "products and delivery");
    assert_eq!(pedido.items.len(), 1);
    // Someone else's order is untouched.
    let other = store.pedido(&ajeno).await.unwrap().unwrap();
    assert_eq!(other.cliente.email, "otro@example.com");
    assert!(other.usuario_id.is_some());
    store.db().close().await;
    app.stop().await;
}
on_both_backends!(deleting_an_account_keeps_its_orders_anonymised);
