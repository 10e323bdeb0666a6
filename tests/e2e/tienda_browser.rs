//! The shop on a phone (390 × 844) and on a desktop (1280 × 900) in a real
//! browser: the header is one row, the cart fits the screen without a
//! horizontal scroll and its prices do not break, the − / + steppers
//! change quantities, the add-to-cart notice shows wherever the customer
//! has scrolled, "Vaciar carrito" asks first, the registration's checkboxes
//! sit beside their labels with the merchant's fields only for "Soy
//! comerciante", the checkout's summary comes before its button, and
//! logging out is one click. Screenshots go to `target/screenshots/`
//! (carrito-phone.png, carrito-desktop.png, registro-phone.png,
//! checkout-phone.png).

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::{Driver, text_of};
use belgrano_e2e::*;
use fantoccini::{Client, Locator};
use serde_json::Value;

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

async fn number(client: &Client, script: &str) -> f64 {
    js(client, script).await.as_f64().unwrap_or(f64::NAN)
}

/// Sizes the window so that the viewport is `width` × `height`.
async fn viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let chrome =
        js(client, "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];").await;
    let extra = |i: usize| chrome[i].as_u64().unwrap_or(0) as u32;
    client.set_window_size(width + extra(0), height + extra(1)).await.unwrap();
    assert_eq!(number(client, "return window.innerWidth;").await, f64::from(width));
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    std::fs::write(screenshots().join(name), client.screenshot().await.unwrap()).unwrap();
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).click().await.unwrap();
}

async fn until(client: &Client, what: &str, script: &str) {
    let done = eventually(Duration::from_secs(10), || async { js(client, script).await == Value::Bool(true) }).await;
    assert!(done, "{what}");
}

/// The header's parts share one row, and it is no taller than one.
const HEADER_ONE_ROW: &str = "var bar = document.querySelector('header.top .bar'); \
    var tops = Array.from(bar.children).filter(function (c) { return c.offsetParent; }) \
      .map(function (c) { var r = c.getBoundingClientRect(); return r.top + r.height / 2; }); \
    var h = document.querySelector('header.top').getBoundingClientRect().height; \
    return Math.max.apply(null, tops) - Math.min.apply(null, tops) < 6 && h <= 64;";

/// Every price on the page lies on one line (no "$" left alone at a line's end).
const PRICES_WHOLE: &str = "return Array.from(document.querySelectorAll('.subtotal, .unitario, .totales dd, .price')) \
    .every(function (el) { var r = document.createRange(); r.selectNodeContents(el.firstChild || el); \
      var lines = new Set(Array.from(r.getClientRects()).map(function (x) { return Math.round(x.top); })); \
      return lines.size <= 1; });";

/// No horizontal scroll: the page is no wider than the screen (`width`:
/// 390 px on the phone; `innerWidth` is not enough, a phone zooms out to fit).
async fn fits(client: &Client, width: u32) -> bool {
    let script = format!(
        "return document.documentElement.scrollWidth <= {width} && document.documentElement.scrollWidth <= window.innerWidth;"
    );
    js(client, &script).await == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_on_a_phone_and_on_a_desktop() {
    for backend in Backend::available() {
        shop(backend).await;
    }
}

async fn shop(backend: Backend) {
    let tickets_db = TestDb::new(backend).await;
    let ahorro_db = TestDb::new(backend).await;
    let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[]).await;
    let driver = Driver::start().await;
    let (client, _profile) = driver.phone(390, 844).await;

    // The home page: one header row, nothing sideways.
    client.goto(&ahorro.url).await.unwrap();
    assert_eq!(number(&client, "return window.innerWidth;").await, 390.0, "a 390 px wide viewport");
    until(&client, &format!("{backend:?}: the phone header is one row"), HEADER_ONE_ROW).await;
    assert!(fits(&client, 390).await, "{backend:?}: home fits");

    // Scrolled down, a product added: the notice shows on screen.
    js(&client, "window.scrollTo(0, document.body.scrollHeight); return true;").await;
    let last = "Array.from(document.querySelectorAll('.card form.add')).pop()";
    js(&client, &format!("{last}.closest('.card').id = 'elegida'; return true;")).await;
    click(&client, "#elegida form.add button").await;
    until(&client, "the count says 1", "return document.getElementById('cart-count').textContent === '1';").await;
    let toast_on_screen = "var a = document.getElementById('aviso'); var r = a.getBoundingClientRect(); \
        return !a.hidden && r.top >= 0 && r.bottom <= window.innerHeight && a.textContent.indexOf('en tu carrito') >= 0;";
    until(&client, &format!("{backend:?}: the notice is visible where the customer is"), toast_on_screen).await;
    assert!(number(&client, "return window.scrollY;").await > 300.0, "still scrolled down");

    // The card now has − 1 +; + makes it 2.
    until(&client, "the stepper replaces Agregar", "return !document.querySelector('#elegida form.paso').hidden;")
        .await;
    click(&client, "#elegida form.paso .mas").await;
    until(&client, "the card says 2", "return document.querySelector('#elegida .paso .n b').textContent === '2' && document.getElementById('cart-count').textContent === '2';").await;

    // Aceite (on offer) from its page, then the cart.
    client.goto(&format!("{}/producto/2", ahorro.url)).await.unwrap();
    click(&client, "form.add button").await;
    until(&client, "3 units", "return document.getElementById('cart-count').textContent === '3';").await;
    client.goto(&format!("{}/carrito", ahorro.url)).await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".linea")).await.unwrap();
    assert!(fits(&client, 390).await, "{backend:?}: the phone cart has no horizontal scroll");
    assert_eq!(js(&client, PRICES_WHOLE).await, Value::Bool(true), "{backend:?}: no price broken in two");
    assert_eq!(js(&client, HEADER_ONE_ROW).await, Value::Bool(true), "{backend:?}: one header row in the cart");
    let ahorras = text_of(&client, "#ahorro").await.replace('\u{a0}', " ");
    assert!(ahorras.starts_with("$ "), "{backend:?}: Ahorrás shown: {ahorras}");

    // The cart's stepper: + then − on the first line, without a reload.
    js(&client, "document.body.dataset.misma = 'si'; return true;").await;
    let first = "document.querySelector('.linea input[name=cantidad]').value";
    let before: i64 = js(&client, &format!("return {first};")).await.as_str().unwrap().parse().unwrap();
    click(&client, ".linea .mas").await;
    until(&client, "+ adds one", &format!("return {first} === '{}';", before + 1)).await;
    click(&client, ".linea .menos").await;
    until(&client, "− takes one", &format!("return {first} === '{before}';")).await;
    assert_eq!(js(&client, "return document.body.dataset.misma;").await, "si", "no page load");
    screenshot(&client, "carrito-phone.png").await;

    // "Vaciar carrito" asks first; "No" keeps everything.
    click(&client, "#vaciar button").await;
    until(&client, "the dialog asks", "return document.getElementById('dialogo-vaciar').open;").await;
    assert_eq!(text_of(&client, "#cart-count").await, "3", "nothing emptied yet");
    click(&client, "#dialogo-vaciar [data-cerrar]").await;
    until(&client, "the dialog closes", "return !document.getElementById('dialogo-vaciar').open;").await;
    assert_eq!(client.find_all(Locator::Css(".linea")).await.unwrap().len(), 2);

    // The checkout on the phone: the summary right before the button.
    client.goto(&format!("{}/checkout", ahorro.url)).await.unwrap();
    let order = "var s = document.getElementById('resumen').getBoundingClientRect(), \
        b = document.getElementById('confirmar').getBoundingClientRect(), \
        f = document.querySelector('textarea[name=notas]').getBoundingClientRect(); \
        return f.bottom <= s.top && s.top < b.top;";
    assert_eq!(js(&client, order).await, Value::Bool(true), "{backend:?}: fields, summary, button");
    assert!(fits(&client, 390).await, "{backend:?}: checkout fits");
    js(&client, "document.getElementById('resumen').scrollIntoView(); return true;").await;
    assert_eq!(
        number(&client, "return window.scrollX;").await,
        0.0,
        "{backend:?}: nothing pushes the checkout sideways"
    );
    screenshot(&client, "checkout-phone.png").await;

    // The registration: checkboxes beside their labels, merchant fields
    // only once "Soy comerciante" is ticked.
    client.goto(&format!("{}/register", ahorro.url)).await.unwrap();
    let beside = "return ['comerciante', 'terminos'].every(function (id) { \
        var box = document.getElementById(id).getBoundingClientRect(); \
        var label = document.getElementById(id).closest('label') || document.querySelector('label[for=' + id + ']'); \
        var text = document.createRange(); text.selectNodeContents(label); \
        var first = Array.from(text.getClientRects()).filter(function (r) { return r.left > box.right; })[0]; \
        return first && Math.abs((first.top + first.bottom) / 2 - (box.top + box.bottom) / 2) < 12; });";
    assert_eq!(js(&client, beside).await, Value::Bool(true), "{backend:?}: checkboxes beside their labels");
    assert_eq!(
        js(&client, "return document.getElementById('comercio').offsetParent === null;").await,
        Value::Bool(true)
    );
    assert!(fits(&client, 390).await, "{backend:?}: registration fits");
    screenshot(&client, "registro-phone.png").await;
    click(&client, "#comerciante").await;
    until(
        &client,
        "the merchant's fields show",
        "return document.querySelector('input[name=cuit]').offsetParent !== null;",
    )
    .await;
    click(&client, "#comerciante").await;
    for (name, value) in [
        ("nombre", "Lucía"),
        ("apellido", "Fernández"),
        ("email", "lucia@example.com"),
        ("password", "secreto-largo"),
        ("confirmar_password", "secreto-largo"),
    ] {
        client.find(Locator::Css(&format!("input[name={name}]"))).await.unwrap().send_keys(value).await.unwrap();
    }
    click(&client, "#terminos").await;
    click(&client, "form#registro button[type=submit]").await;
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("usuario")).await.unwrap();
    until(&client, "one header row, logged in", HEADER_ONE_ROW).await;

    // The desktop (the same account in a desktop browser): the cart, then
    // out in one click.
    client.close().await.unwrap();
    let (client, _desktop_profile) = driver.browser().await;
    viewport(&client, 1280, 900).await;
    client.goto(&format!("{}/login", ahorro.url)).await.unwrap();
    client.find(Locator::Css("input[name=email]")).await.unwrap().send_keys("lucia@example.com").await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("secreto-largo").await.unwrap();
    click(&client, "form[action='/login'] button[type=submit]").await;
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("usuario")).await.unwrap();
    client.goto(&format!("{}/carrito", ahorro.url)).await.unwrap();
    assert!(fits(&client, 1280).await, "{backend:?}: desktop cart fits");
    assert_eq!(js(&client, HEADER_ONE_ROW).await, Value::Bool(true), "{backend:?}: one header row on a desktop");
    assert_eq!(js(&client, PRICES_WHOLE).await, Value::Bool(true));
    screenshot(&client, "carrito-desktop.png").await;

    // Emptying for real: the dialog's "Sí, vaciar".
    click(&client, "#vaciar button").await;
    until(&client, "the dialog asks", "return document.getElementById('dialogo-vaciar').open;").await;
    click(&client, "#dialogo-vaciar button[type=submit]").await;
    until(&client, "emptied", "return document.body.textContent.indexOf('Tu carrito está vacío') >= 0;").await;

    // Out in one click.
    click(&client, "#salir").await;
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("a[href='/login']")).await.unwrap();
    assert!(client.find(Locator::Id("usuario")).await.is_err(), "{backend:?}: logged out in one click");

    client.close().await.unwrap();
    ahorro.stop().await;
    tickets.stop().await;
}
