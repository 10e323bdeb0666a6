//! Pick-up and collection in a real browser at a phone's size (390×844):
//! an order with lines from two stores, posted to Tickets as Ahorro sends
//! it, shows its two stops with map links, what to collect and the phone
//! links on the printable slip and on the courier's page, without sideways
//! scrolling. Screenshots go to `target/screenshots/slip.png` and
//! `target/screenshots/courier.png`.

use std::path::{Path, PathBuf};

use belgrano_e2e::browser::{Driver, login_tickets, text_of};
use belgrano_e2e::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const PHONE: (u32, u32) = (390, 844);

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sizes the window so the page itself (the viewport, without the
/// browser's own bars) is `width`×`height`.
async fn viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    // Only the height: headless Chromium draws no side bars (and reports a
    // wider outer window than it lays out).
    let bar = client.execute("return window.outerHeight - window.innerHeight;", vec![]).await.unwrap();
    client.set_window_size(width, height + bar.as_u64().unwrap_or(0) as u32).await.unwrap();
}

/// The whole page at the phone's width (the viewport grows to the page's
/// height for the picture, then goes back).
async fn shot(client: &Client, name: &str) {
    let height = client.execute("return document.documentElement.scrollHeight;", vec![]).await.unwrap();
    let height = height.as_u64().unwrap_or(PHONE.1 as u64).max(PHONE.1 as u64) as u32;
    viewport(client, PHONE.0, height).await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    viewport(client, PHONE.0, PHONE.1).await;
}

fn linea(id: i64, nombre: &str, precio: f64, cantidad: u32, negocio: &str, sucursal: &str, direccion: &str) -> Value {
    json!({
        "id": id, "nombre": nombre, "precio": precio, "cantidad": cantidad, "subtotal": precio * cantidad as f64,
        "negocio": negocio.to_lowercase().replace(' ', "_"), "negocio_nombre": negocio, "categoria": "Almacén",
        "sucursal": {"id": format!("{negocio}-{sucursal}"), "nombre": sucursal, "direccion": direccion}
    })
}

async fn post_ticket(tickets_url: &str, body: &Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{tickets_url}/api/tickets"))
        .header("X-API-Key", API_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every stop is shown, with its map link, and nothing spills sideways.
async fn assert_readable_on_a_phone(client: &Client, what: &str) {
    let stops = client.find_all(Locator::Css(".parada")).await.unwrap();
    assert_eq!(stops.len(), 2, "{what}: two pick-up stops");
    let mut titles = Vec::new();
    for stop in &stops {
        assert!(stop.is_displayed().await.unwrap(), "{what}: stop visible");
        titles.push(stop.text().await.unwrap());
        let map = stop.find(Locator::Css("a.map")).await.unwrap();
        assert!(map.is_displayed().await.unwrap(), "{what}: map link visible");
        let href = map.attr("href").await.unwrap().unwrap();
        assert!(href.starts_with("https://www.google.com/maps/search/?api=1&query="), "{what}: {href}");
    }
    assert!(titles[0].contains("Almacén Don Pepe · Centro") && titles[0].contains("Yerba 1kg"), "{what}: {titles:?}");
    assert!(titles[0].contains("Azúcar 1kg"), "{what}: the third line joins the first stop");
    assert!(titles[1].contains("Panadería La Espiga · Belgrano") && titles[1].contains("Pan de campo"));
    assert_eq!(
        text_of(client, ".cobro").await,
        "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · llevar $ 3.880 de vuelto",
        "{what}"
    );
    for (css, href) in [("a.tel", "tel:+5491155551234"), ("a.wa", "https://wa.me/5491155551234")] {
        let link = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{what}: {css}"));
        assert!(link.is_displayed().await.unwrap(), "{what}: {css} visible");
        assert_eq!(link.attr("href").await.unwrap().as_deref(), Some(href), "{what}");
    }
    let overflow = client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(overflow.as_i64(), Some(0), "{what}: no sideways scrolling at {} px", PHONE.0);
    let inner = client.execute("return [window.innerWidth, window.innerHeight];", vec![]).await.unwrap();
    assert_eq!(inner, json!([PHONE.0, PHONE.1]), "{what}: a phone-sized viewport");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slip_and_the_couriers_phone_show_two_stops_and_what_to_collect() {
    let db = TestDb::new(Backend::Sqlite).await;
    let tickets = Tickets::start(&db, 0, &format!("http://127.0.0.1:{}", free_port())).await;
    let created = post_ticket(
        &tickets.url,
        &json!({
            "numero": "PED-RETIRO-E2E",
            "cliente_nombre": "Ana Gómez",
            "cliente_direccion": "Av. Cabildo 1234, Belgrano",
            "cliente_telefono": "011 15-5555-1234",
            "productos": [
                linea(1, "Yerba 1kg", 2500.0, 2, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500"),
                linea(2, "Pan de campo", 620.0, 1, "Panadería La Espiga", "Belgrano", "Juramento 2100"),
                linea(3, "Azúcar 1kg", 500.0, 1, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500")
            ],
            "total": 6120.0,
            "metodo_pago": "efectivo",
            "indicaciones": "Timbre 3B",
            "estado": "pendiente", "prioridad": "normal", "tipo_cliente": "cliente",
            "entrega": {"barrio": "Belgrano", "franja": {"desde": "2026-12-02T12:00:00-03:00", "hasta": "2026-12-02T15:00:00-03:00"}, "costo_envio": 0},
            "cobro": {"metodo": "efectivo", "monto": 6120.0, "paga_con": 10000.0, "vuelto": 3880.0}
        }),
    )
    .await;
    let id = created["ticket_id"].as_i64().unwrap();
    let ticket = tickets.tickets().await.into_iter().find(|t| t["id"] == id).unwrap();
    let courier_email = format!("{}@belgrano.local", ticket["repartidor"].as_str().unwrap().to_lowercase());

    let driver = Driver::start().await;
    let (desk, _desk_profile) = driver.browser().await;
    viewport(&desk, PHONE.0, PHONE.1).await;
    login_tickets(&desk, &tickets.url, "admin@belgrano.local", "demo1234").await;
    desk.wait().for_element(Locator::Css("header.site")).await.unwrap();
    desk.goto(&format!("{}/panel/tickets/{id}/imprimir", tickets.url)).await.unwrap();
    desk.wait().for_element(Locator::Css(".retiro")).await.unwrap();
    assert_readable_on_a_phone(&desk, "slip").await;
    assert!(text_of(&desk, ".franja").await.contains("mié 2/12, 12:00–15:00"));
    shot(&desk, "slip").await;

    let (phone, _phone_profile) = driver.browser().await;
    viewport(&phone, PHONE.0, PHONE.1).await;
    login_tickets(&phone, &tickets.url, &courier_email, "demo1234").await;
    phone.wait().for_element(Locator::Css("section.courier article.delivery")).await.unwrap();
    assert_readable_on_a_phone(&phone, "courier").await;
    assert!(text_of(&phone, ".franja").await.contains("mié 2/12, 12:00–15:00 · Belgrano"));
    shot(&phone, "courier").await;

    desk.close().await.unwrap();
    phone.close().await.unwrap();
    tickets.stop().await;
}
