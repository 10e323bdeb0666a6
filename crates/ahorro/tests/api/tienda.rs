//! The shop as a customer reads it (issue 16, part 3): messages beside the
//! field they concern, with agreement and in *vos*; counts with their
//! plural; prices that never break; the cart's steppers, savings and
//! "Vaciar carrito" that asks first; logout in one click.

use crate::helpers::*;
use crate::on_both_backends;

const NBSP: char = '\u{a0}';

/// The `<input …>` tag whose `name` is `name`.
fn control<'a>(body: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\"");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no control {name}"));
    let start = body[..at].rfind('<').unwrap();
    let end = at + body[at..].find('>').unwrap();
    &body[start..=end]
}

/// The control is marked invalid and described by the message right after it.
fn beside(body: &str, name: &str, message: &str) {
    let tag = control(body, name);
    let id = format!("error-{name}");
    assert!(tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("aria-describedby=\"{id}\"")), "{tag}");
    let paragraph = format!("<p class=\"field-error\" id=\"{id}\">{message}</p>");
    assert!(body.contains(&paragraph), "{paragraph} in {body}");
    assert_eq!(body.matches("aria-invalid=\"true\"").count(), 1, "only the field at fault");
}

async fn forms_say_what_is_wrong_beside_the_field(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut ana = app.browser();

    let page = ana.register("ana@example.com", &[("nombre", " ")]).await;
    assert_eq!(page.status, 400);
    beside(&page.body, "nombre", "El nombre es obligatorio.");
    assert!(page.body.contains("role=\"alert\""), "a summary announced at the top");
    assert!(!page.body.contains("Nombre:"), "no 'Campo: mensaje'");

    let page = ana.register("ana@example.com", &[("terminos", "")]).await;
    beside(&page.body, "terminos", "Tenés que aceptar los términos y condiciones para crear la cuenta.");
    assert!(page.body.contains("href=\"/terminos\"") && page.body.contains("href=\"/privacidad\""));

    let merchant = [("comerciante", "si"), ("nombre_negocio", "Almacén Pepe"), ("tipo_negocio", "almacén")];
    let mut bad = merchant.to_vec();
    bad.push(("cuit", "20-12345678-5"));
    let page = ana.register("ana@example.com", &bad).await;
    beside(&page.body, "cuit", "El CUIT no es válido: revisá el último dígito (el verificador).");
    assert!(page.body.contains("value=\"Almacén Pepe\""), "what was typed stays");

    // The checkout: feminine fields agree.
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "9")]).await;
    let fields = [
        ("nombre", "Ana"),
        ("email", "ana@example.com"),
        ("calle", "Juramento"),
        ("barrio", "Belgrano"),
        ("metodo_pago", "efectivo"),
    ];
    let page = ana.post_csrf("/checkout", &fields).await;
    assert_eq!(page.status, 400);
    beside(&page.body, "altura", "La altura es obligatoria.");
    let mut no_email = fields.to_vec();
    no_email.retain(|(k, _)| *k != "email");
    no_email.push(("altura", "2100"));
    let page = ana.post_csrf("/checkout", &no_email).await;
    beside(&page.body, "email", "El email es obligatorio.");

    // The profile page has two password fields: the message goes to the
    // form that was sent.
    ana.register("ana@example.com", &[]).await;
    let page = ana
        .post_csrf("/perfil/password", &[("actual", "secreto123"), ("password", "corta"), ("confirmar_password", "x")])
        .await;
    let message =
        "<p class=\"field-error\" id=\"error-clave-password\">La contraseña debe tener al menos 8 caracteres.</p>";
    assert!(page.body.contains(message), "{}", page.body);
    assert!(control(&page.body, "password").contains("aria-describedby=\"error-clave-password\""));
    assert_eq!(page.body.matches("aria-invalid=\"true\"").count(), 1, "not the e-mail form's password");
    app.stop().await;
}

#[tokio::test]
async fn agreement_and_vos_in_the_messages() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut owner = app.browser();
    owner.register("victima@example.com", &[]).await;
    let mut attacker = app.browser();
    let wrong = attacker.post_csrf("/login", &[("email", "victima@example.com"), ("password", "no")]).await;
    assert!(wrong.body.contains("El email o la contraseña no son correctos. Revisalos y probá de nuevo."));
    for _ in 1..belgrano_ahorro::accounts::MAX_FAILED_LOGINS {
        attacker.post_csrf("/login", &[("email", "victima@example.com"), ("password", "adivinanza")]).await;
    }
    let locked = attacker.post_csrf("/login", &[("email", "victima@example.com"), ("password", "secreto123")]).await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Esperá 15 minutos y probá de nuevo"), "{}", locked.body);
    assert!(!locked.body.contains("Espere") && !locked.body.contains("intente"), "vos, not usted");
    // A stale form: the error page speaks vos too.
    let stale = attacker.post("/carrito/agregar", &[("csrf", &"0".repeat(64)), ("producto_id", "1")]).await;
    assert_eq!(stale.status, 403);
    assert!(stale.body.contains("recargá la página y probá de nuevo"), "{}", stale.body);
    app.stop().await;
}

async fn counts_prices_and_savings(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut b = app.browser();
    b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "1")]).await;
    let cart = b.get("/carrito").await;
    assert!(cart.body.contains("id=\"cart-resumen\">1 producto<"), "{}", cart.body);
    assert!(cart.body.contains(", 1 producto</span>"), "the header's badge label");
    // Arroz ($ 950, was $ 1.200) × 2 and Aceite ($ 1.800, was $ 2.200): $ 900 saved.
    b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "1")]).await;
    b.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "1")]).await;
    let cart = b.get("/carrito").await;
    assert!(cart.body.contains("id=\"cart-resumen\">3 productos<"));
    assert!(cart.body.contains(&format!("<dt>Ahorrás</dt><dd id=\"ahorro\">${NBSP}900</dd>")), "{}", cart.body);
    assert!(cart.body.contains(&format!("id=\"total\">${NBSP}3.700<")));
    assert!(!cart.body.contains("$ "), "no price can break in two");
    let checkout = b.get("/checkout").await;
    assert!(checkout.body.contains(&format!("Ahorrás ${NBSP}900")) && checkout.body.contains("Resumen · 3 productos"));
    // The summary comes before the confirm button (and the button is the form's).
    let (resumen, boton) =
        (checkout.body.find("id=\"resumen\"").unwrap(), checkout.body.find("id=\"confirmar\"").unwrap());
    assert!(resumen < boton);
    assert!(checkout.body.contains("form=\"checkout-form\" id=\"confirmar\""));
    // Without offers, no savings line (Pan Francés has no old price).
    b.post_csrf("/carrito/vaciar", &[("confirmar", "si")]).await;
    b.post_csrf("/carrito/agregar", &[("producto_id", "6"), ("cantidad", "1")]).await;
    let cart = b.get("/carrito").await;
    assert!(cart.body.contains("Pan Francés") && !cart.body.contains("Ahorrás"));

    // The profile counts orders with their plural.
    let mut ana = app.browser();
    ana.register("ana@example.com", &[]).await;
    assert!(ana.get("/perfil").await.body.contains("0 pedidos ·"));
    app.stop().await;
}

async fn steppers_and_a_cart_that_asks_before_emptying(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut b = app.browser();

    // A card shows "Agregar" until the product is in the cart, then − n +.
    let home = b.get("/").await;
    assert!(!home.body.contains("class=\"paso\" data-stock"), "no stepper shown for an empty cart");
    b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    let home = b.get("/").await;
    assert!(home.body.contains("name=\"cantidad\" value=\"1\" class=\"menos\""), "{}", home.body);
    assert!(home.body.contains("name=\"cantidad\" value=\"3\" class=\"mas\""));
    // The stepper's post (what − sends) goes back to the page it came from.
    let back = b.post_csrf("/carrito/actualizar", &[("producto_id", "1"), ("cantidad", "1"), ("volver", "/")]).await;
    assert_eq!((back.status.as_u16(), back.location.as_deref()), (303, Some("/")));
    let elsewhere =
        b.post_csrf("/carrito/actualizar", &[("producto_id", "1"), ("cantidad", "1"), ("volver", "//evil.test")]).await;
    assert_eq!(elsewhere.location.as_deref(), Some("/carrito"), "only a path of this shop");

    // The cart's − and + are forms of their own, each with the quantity it sets.
    b.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "1")]).await;
    let cart = b.get("/carrito").await;
    for (id, value) in [("menos-1", "0"), ("mas-1", "2"), ("menos-2", "0"), ("mas-2", "2")] {
        let at = cart.body.find(&format!("id=\"{id}\"")).unwrap();
        let form = &cart.body[at..at + cart.body[at..].find("</form>").unwrap()];
        assert!(form.contains(&format!("name=\"cantidad\" value=\"{value}\"")), "{id}: {form}");
        assert!(cart.body.contains(&format!("form=\"{id}\"")), "a button submits {id}");
    }

    // "Vaciar carrito" without the confirmation asks and keeps the cart.
    let asked = b.post_csrf("/carrito/vaciar", &[]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("¿Vaciamos el carrito?") && asked.body.contains("Se quitan 2 productos"));
    assert!(asked.body.contains("name=\"confirmar\" value=\"si\""));
    assert!(b.get("/carrito").await.body.contains("Arroz 1kg"), "nothing lost in one click");
    let emptied = b.post_csrf("/carrito/vaciar", &[("confirmar", "si")]).await;
    assert_eq!(emptied.status, 303);
    assert!(b.get("/carrito").await.body.contains("Tu carrito está vacío"));
    app.stop().await;
}

async fn logout_is_one_click_from_the_header(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut ana = app.browser();
    ana.register("ana@example.com", &[]).await;
    let page = ana.get("/mis_pedidos").await;
    let at = page
        .body
        .find("<form method=\"post\" action=\"/logout\" class=\"salir\">")
        .expect("a logout form in the header");
    let form = &page.body[at..at + page.body[at..].find("</form>").unwrap()];
    let csrf = page.csrf();
    assert!(form.contains(&format!("name=\"csrf\" value=\"{csrf}\"")) && form.contains("id=\"salir\""), "{form}");
    // What the button sends: the token only.
    let out = ana.post("/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!((out.status.as_u16(), out.location.as_deref()), (303, Some("/")));
    assert_eq!(ana.get("/mis_pedidos").await.status, 303, "logged out");
    // Old links to GET /logout still show the confirmation form.
    let old = ana.get("/logout").await;
    assert_eq!(old.status, 200);
    assert!(old.body.contains("Cerrar sesión"));
    app.stop().await;
}

#[tokio::test]
async fn shop_pages_stay_small() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &[])).await;
    let mut b = app.browser();
    for id in 1..=40 {
        b.post_csrf("/carrito/agregar", &[("producto_id", &id.to_string()), ("cantidad", "2")]).await;
    }
    for path in ["/", "/carrito", "/checkout", "/register", "/login"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.len() < 100_000, "{path} is {} bytes", page.body.len());
    }
    app.stop().await;
}

on_both_backends!(forms_say_what_is_wrong_beside_the_field);
on_both_backends!(counts_prices_and_savings);
on_both_backends!(steppers_and_a_cart_that_asks_before_emptying);
on_both_backends!(logout_is_one_click_from_the_header);
