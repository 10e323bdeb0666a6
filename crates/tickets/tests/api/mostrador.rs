//! Pick-up and collection through the pages: an order with lines from two
//! stores, posted as Ahorro sends it, shows two pick-up stops, what to
//! collect, the window and the phone links on the detail page, the slip
//! and the courier's page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, DEMO_PASSWORD, TestApp, TestDb, logged_in};
use crate::on_both_backends;

fn linea(id: i64, nombre: &str, precio: f64, cantidad: u32, negocio: &str, sucursal: &str, direccion: &str) -> Value {
    json!({
        "id": id, "nombre": nombre, "precio": precio, "cantidad": cantidad, "subtotal": precio * cantidad as f64,
        "negocio": negocio.to_lowercase().replace(' ', "_"), "negocio_nombre": negocio, "categoria": "Almacén",
        "sucursal": {"id": format!("{negocio}-{sucursal}"), "nombre": sucursal, "direccion": direccion}
    })
}

/// Two stores (the first mentioned twice), cash with change, a window.
fn two_store_order(numero: &str, telefono: &str) -> Value {
    json!({
        "numero": numero,
        "cliente_nombre": "Ana Gómez",
        "cliente_direccion": "Av. Cabildo 1234, Belgrano",
        "cliente_telefono": telefono,
        "productos": [
            linea(1, "Yerba 1kg", 2500.0, 2, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500"),
            linea(2, "Pan de campo", 620.0, 1, "Panadería La Espiga", "Belgrano", "Juramento 2100"),
            linea(3, "Azúcar 1kg", 500.0, 1, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500")
        ],
        "total": 6120.0,
        "metodo_pago": "efectivo",
        "estado": "pendiente", "prioridad": "normal", "tipo_cliente": "cliente",
        "entrega": {"barrio": "Belgrano", "franja": {"desde": "2026-12-02T12:00:00-03:00", "hasta": "2026-12-02T15:00:00-03:00"}, "costo_envio": 0},
        "cobro": {"metodo": "efectivo", "monto": 6120.0, "paga_con": 10000.0, "vuelto": 3880.0}
    })
}

const COBRO: &str = "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · llevar $ 3.880 de vuelto";
const MAPA_DON_PEPE: &str = "https://www.google.com/maps/search/?api=1&#38;query=Av.+Cabildo+1500%2C+Buenos+Aires";
const MAPA_ESPIGA: &str = "https://www.google.com/maps/search/?api=1&#38;query=Juramento+2100%2C+Buenos+Aires";

/// The two stops, in the order the lines first mention them, with their
/// lines and quantities; the third line joins the first stop.
fn assert_two_stops(page: &str, what: &str) {
    let pepe = page.find("Almacén Don Pepe · Centro").unwrap_or_else(|| panic!("{what}: first stop\n{page}"));
    let espiga = page.find("Panadería La Espiga · Belgrano").unwrap_or_else(|| panic!("{what}: second stop"));
    assert!(pepe < espiga, "{what}: stops in first-mention order");
    let (first, second) = (&page[pepe..espiga], &page[espiga..]);
    assert!(first.contains("Yerba 1kg") && first.contains("Azúcar 1kg"), "{what}: both Don Pepe lines");
    assert!(!first.contains("Pan de campo") && second.contains("Pan de campo"), "{what}: the bread at La Espiga");
    assert!(first.contains(MAPA_DON_PEPE) && second.contains(MAPA_ESPIGA), "{what}: map links per stop\n{page}");
    assert!(!page.contains("Sin datos de retiro"), "{what}: every line has its store");
    assert!(page.contains(COBRO), "{what}: what to collect");
    assert!(page.contains("mié 2/12, 12:00–15:00"), "{what}: the window in Buenos Aires time");
    assert!(page.contains("Belgrano"), "{what}: the barrio");
}

fn courier_of(app_ticket: &Value) -> i64 {
    app_ticket["repartidor_id"].as_i64().expect("new tickets go to an available courier")
}

on_both_backends!(an_order_from_two_stores_shows_two_stops_and_what_to_collect, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (status, created) = app.post_ticket(&two_store_order("PED-RETIRO-1", "011 15-5555-1234")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["ticket_id"].clone();
    let (_, ticket) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket["productos"][1]["sucursal"]["direccion"], "Juramento 2100", "stored as sent");

    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let slip = dispatcher.get(&format!("/panel/tickets/{id}/imprimir")).await;
    assert_eq!(slip.status, StatusCode::OK);
    assert_two_stops(&slip.body, "slip");
    assert!(slip.body.contains(r#"href="tel:+5491155551234""#), "slip: tel link");
    assert!(slip.body.contains(r#"href="https://wa.me/5491155551234""#), "slip: WhatsApp link");

    let detail = dispatcher.get(&format!("/panel/tickets/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_two_stops(&detail.body, "detail");
    assert!(detail.body.contains(r#"href="tel:+5491155551234""#));

    let courier = courier_of(&ticket);
    let mut phone = logged_in(&app, &format!("repartidor{courier}@belgrano.local"), DEMO_PASSWORD).await;
    let page = phone.get("/repartidor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_two_stops(&page.body, "courier");
    assert!(page.body.contains(r#"href="tel:+5491155551234""#), "courier: tel link");
    assert!(page.body.contains(r#"href="https://wa.me/5491155551234""#), "courier: WhatsApp link");
    app.stop().await;
});

on_both_backends!(a_phone_that_does_not_parse_is_shown_as_typed_without_links, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (status, created) = app.post_ticket(&two_store_order("PED-RETIRO-2", "preguntar en portería")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["ticket_id"].clone();
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let slip = dispatcher.get(&format!("/panel/tickets/{id}/imprimir")).await;
    assert!(slip.body.contains("preguntar en portería"), "shown as typed");
    assert!(!slip.body.contains("tel:") && !slip.body.contains("wa.me"), "no broken links");
    let (_, ticket) = app.get(&format!("/api/tickets/{id}")).await;
    let mut phone = logged_in(&app, &format!("repartidor{}@belgrano.local", courier_of(&ticket)), DEMO_PASSWORD).await;
    let page = phone.get("/repartidor").await;
    assert!(page.body.contains("preguntar en portería"));
    assert!(!page.body.contains("tel:") && !page.body.contains("wa.me"));
    app.stop().await;
});

on_both_backends!(an_old_client_order_has_a_plain_stop_and_the_total_to_collect, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    // The seed's shape: a string branch on one line, nothing on the other,
    // no cobro (the total and metodo_pago say what to collect).
    let (status, created) = app.post_ticket(&crate::helpers::order("PED-RETIRO-3")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["ticket_id"].clone();
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let slip = dispatcher.get(&format!("/panel/tickets/{id}/imprimir")).await;
    let known = slip.body.find("belgrano_ahorro · sucursal_centro").expect("the seed's branch");
    let plain = slip.body.find("Sin datos de retiro").expect("lines without store data");
    assert!(known < plain, "the plain stop goes last");
    assert!(slip.body[known..plain].contains("Arroz 1kg") && slip.body[plain..].contains("Aceite 900ml"));
    assert!(slip.body.contains("Cobrar $ 3.700 en efectivo"));
    // The seed's "11-5555-1234": a Buenos Aires number without the 15.
    assert!(slip.body.contains(r#"href="tel:+541155551234""#) && slip.body.contains("https://wa.me/5491155551234"));
    app.stop().await;
});
