//! Every page of the shop, as a guest, a customer, a merchant and the
//! owner, in headless Chromium at 390 × 844 (a phone) and 1280 × 900:
//!
//! - axe-core (npm, `tests/axe`, installed by `.ci/run` with `npm ci`; an
//!   outside judge nobody here wrote) finds no serious or critical
//!   violation of WCAG 2.1 A/AA;
//! - the page weighs under 100 KB before images: the HTML, CSS and scripts
//!   the browser loaded, uncompressed (`decodedBodySize`);
//! - nothing is wider than the screen (no horizontal scroll).
//!
//! A failure lists every page with what axe found, so one run shows all.
//! Screenshots of each page at both sizes go to `target/screenshots/tienda/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::Driver;
use belgrano_e2e::*;
use fantoccini::Client;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "duenia@almacen.com.ar";
const ADMIN_PASSWORD: &str = "una-clave-de-la-duenia";
const PASSWORD: &str = "una-clave-larga-1";
/// Everything a page may load before images.
const MAX_PAGE_BYTES: u64 = 100 * 1024;

fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `npm ci --prefix tests/axe` (.ci/run does)", path.display()))
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots/tienda");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `fetch` from the page, with its CSRF token, as the shop's own scripts
/// send it: the browser's cookies make it the logged-in person's request.
async fn fetch(client: &Client, method: &str, path: &str, body: Value, form: bool) -> (u16, String) {
    let script = r#"
        const [method, path, body, form, done] = arguments;
        const csrf = document.querySelector('meta[name=csrf-token]').content;
        const headers = {'X-CSRF-Token': csrf, 'Accept': 'application/json'};
        let payload;
        if (form) {
            payload = new URLSearchParams(Object.assign({csrf}, body));
            headers['Content-Type'] = 'application/x-www-form-urlencoded';
        } else {
            payload = JSON.stringify(body);
            headers['Content-Type'] = 'application/json';
        }
        fetch(path, {method, headers, body: payload, redirect: 'follow'})
            .then(async r => done([r.status, await r.text()]))
            .catch(e => done([0, String(e)]));
    "#;
    let answer = client
        .execute_async(script, vec![json!(method), json!(path), body, json!(form)])
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    (answer[0].as_u64().unwrap_or(0) as u16, answer[1].as_str().unwrap_or_default().to_owned())
}

async fn register(client: &Client, shop: &str, email: &str, comercio: bool) {
    client.goto(&format!("{shop}/register")).await.unwrap();
    let mut body = json!({
        "nombre": "Lucía", "apellido": "Fernández", "email": email, "password": PASSWORD,
        "confirmar_password": PASSWORD, "telefono": "011 4781-0000", "direccion": "Av. Cabildo 2040",
        "terminos": "si", "privacidad": "si",
    });
    if comercio {
        body["comerciante"] = json!("si");
        body["nombre_negocio"] = json!("Kiosco La Esquina");
        body["cuit"] = json!("20-12345678-6");
        body["tipo_negocio"] = json!("kiosco");
    }
    let (status, _) = fetch(client, "POST", "/register", body, true).await;
    assert_eq!(status, 200, "registering {email}");
}

async fn login(client: &Client, shop: &str, email: &str, password: &str) {
    client.goto(&format!("{shop}/login")).await.unwrap();
    let (status, _) = fetch(client, "POST", "/login", json!({"email": email, "password": password}), true).await;
    assert_eq!(status, 200, "logging in {email}");
}

async fn logout(client: &Client, shop: &str) {
    client.goto(&format!("{shop}/")).await.unwrap();
    fetch(client, "POST", "/logout", json!({}), true).await;
}

/// What one page did wrong; empty when nothing.
async fn check_page(client: &Client, axe: &str, shop: &str, path: &str, name: &str, size: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let width = client.execute("return window.innerWidth", vec![]).await.unwrap().as_u64().unwrap_or(0);
    {
        let absolute = if path.starts_with("http") { path.to_owned() } else { format!("{shop}{path}") };
        client.goto(&absolute).await.unwrap();
        let url = client.current_url().await.unwrap();
        // Chromium reports the page's own HTTP status: a page that is not
        // there (404) or broke (500) must not pass as "accessible".
        let status = client
            .execute("return performance.getEntriesByType('navigation')[0].responseStatus", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        let expected = if name == "no-encontrado" { 404 } else { 200 };
        if status != expected {
            problems.push(format!("{path} ({size}): answered {status} at {url}, expected {expected}"));
        }
        client.execute(axe, vec![]).await.expect("axe-core loads");
        let found = client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                      resultTypes: ['violations']})
                     .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' +
                             v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
                     .catch(e => done(['axe failed: ' + e]));"#,
                vec![],
            )
            .await
            .unwrap();
        for v in found.as_array().into_iter().flatten() {
            problems.push(format!("{path} ({size}, {url}): {}", v.as_str().unwrap_or_default()));
        }
        let weight = client
            .execute(
                r#"const nav = performance.getEntriesByType('navigation')[0];
                   const image = /\.(png|jpe?g|webp|gif|svg|ico|avif)(\?|$)/i;
                   const parts = performance.getEntriesByType('resource')
                     .filter(r => r.initiatorType !== 'img' && !image.test(r.name));
                   return nav.decodedBodySize + parts.reduce((s, r) => s + r.decodedBodySize, 0);"#,
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        eprintln!("{size:8} {status} {weight:>7} bytes before images  {path}");
        if weight >= MAX_PAGE_BYTES {
            problems.push(format!("{path} ({size}): {weight} bytes before images (limit {MAX_PAGE_BYTES})"));
        }
        let wide = client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
        if wide.as_u64().unwrap_or(0) > width {
            problems.push(format!("{path} ({size}): {} px wide on a {width} px screen", wide));
        }
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{size}.png")), png).unwrap();
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shop_page_is_accessible_light_and_fits_a_phone() {
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let ahorro_db = TestDb::new(Backend::Sqlite).await;
    let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
    let admin = [("ADMIN_EMAIL", ADMIN_EMAIL), ("ADMIN_PASSWORD", ADMIN_PASSWORD)];
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &admin).await;
    let axe = axe_source();
    let driver = Driver::start().await;

    let mut problems = Vec::new();
    // A phone by Chromium's device emulation (a headless window cannot be
    // narrower than 500 px), then a desktop window.
    let (phone, _phone_profile) = driver.phone(390, 844).await;
    problems.extend(visit_every_page(&phone, &axe, &ahorro.url, "phone").await);
    phone.close().await.unwrap();
    let (desktop, _desktop_profile) = driver.browser().await;
    desktop.set_window_size(1280, 900).await.unwrap();
    problems.extend(visit_every_page(&desktop, &axe, &ahorro.url, "desktop").await);
    desktop.close().await.unwrap();

    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    ahorro.stop().await;
    tickets.stop().await;
}

/// The shop as a guest, a customer with a cart and an order, a merchant
/// and the owner, in one browser (`size` names its screenshots and the
/// accounts it makes).
async fn visit_every_page(client: &Client, axe: &str, shop: &str, size: &str) -> Vec<String> {
    // A page and axe together can take longer than WebDriver's default
    // script time on a busy two-core machine.
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(
        Some(Duration::from_secs(60)),
        Some(Duration::from_secs(60)),
        Some(Duration::from_secs(0)),
    );
    client.update_timeouts(timeouts).await.unwrap();
    let mut problems = Vec::new();
    // A guest.
    for (path, name) in [
        ("/", "inicio"),
        ("/?busqueda=asucar", "busqueda"),
        ("/?busqueda=zzzqqq", "busqueda-vacia"),
        ("/negocio/belgrano_ahorro", "negocio"),
        ("/categoria/granos_cereales", "categoria"),
        ("/producto/1", "producto"),
        ("/carrito", "carrito-vacio"),
        ("/login", "login"),
        ("/register", "registro"),
        ("/buscar-pedido", "buscar-pedido"),
        ("/password/olvide", "password-olvide"),
        ("/contacto", "contacto"),
        ("/sobre-nosotros", "sobre-nosotros"),
        ("/ayuda", "ayuda"),
        ("/terminos", "terminos"),
        ("/privacidad", "privacidad"),
        ("/no-existe", "no-encontrado"),
    ] {
        problems.extend(check_page(client, axe, shop, path, name, size).await);
    }

    // A customer with a cart and an order.
    register(client, shop, &format!("lucia-{size}@example.com"), false).await;
    let (status, _) =
        fetch(client, "POST", "/carrito/agregar", json!({"producto_id": "1", "cantidad": "3"}), true).await;
    assert_eq!(status, 200, "adding to the cart");
    fetch(client, "POST", "/carrito/agregar", json!({"producto_id": "2", "cantidad": "2"}), true).await;
    for (path, name) in [("/carrito", "carrito"), ("/checkout", "checkout")] {
        problems.extend(check_page(client, axe, shop, path, name, size).await);
    }
    let mut compra = checkout_body(1, &[(1, 6), (3, 4)]);
    compra["cliente"]["email"] = json!(format!("lucia-{size}@example.com"));
    let (status, answer) = fetch(client, "POST", "/api/checkout", compra, false).await;
    assert!(status == 201 || status == 200, "checkout answered {status}: {answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let numero = answer["pedido"]["numero"].as_str().expect("an order number").to_owned();
    let seguimiento = tracking_link(shop, &answer);
    for (path, name) in [
        (format!("/pedido/{numero}"), "pedido"),
        ("/mis_pedidos".into(), "mis-pedidos"),
        (seguimiento, "seguimiento"),
        ("/perfil".into(), "perfil"),
        ("/perfil/eliminar".into(), "eliminar-cuenta"),
    ] {
        problems.extend(check_page(client, axe, shop, &path, name, size).await);
    }
    logout(client, shop).await;

    // A merchant.
    register(client, shop, &format!("kiosco-{size}@example.com"), true).await;
    problems.extend(check_page(client, axe, shop, "/comerciantes", "comerciantes", size).await);
    logout(client, shop).await;

    // The owner's back office.
    login(client, shop, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for (path, name) in [
        ("/admin", "admin"),
        ("/admin/productos", "admin-productos"),
        ("/admin/pedidos", "admin-pedidos"),
        ("/admin/entrega", "admin-entrega"),
    ] {
        problems.extend(check_page(client, axe, shop, path, name, size).await);
    }

    problems
}
