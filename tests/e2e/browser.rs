//! A real browser (headless Chromium through chromedriver) browses,
//! searches, adds to the cart without a reload, registers, checks out and
//! sees the confirmation with the ticket from the real Tickets.
//!
//! Needs `chromium` and `chromium-driver` (Debian); override the paths
//! with `CHROMIUM` and `CHROMEDRIVER`.

use std::time::Duration;

use belgrano_e2e::browser::{Driver, fill_delivery, set_first_quantity, text_of};
use belgrano_e2e::*;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_in_a_real_browser() {
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let ahorro_db = TestDb::new(Backend::Sqlite).await;
    let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[]).await;

    let driver = Driver::start().await;
    let (client, _profile) = driver.browser().await;

    // Browse and search ("azucar" finds "Azúcar").
    client.goto(&ahorro.url).await.unwrap();
    assert!(client.source().await.unwrap().contains("Destacados"));
    let search = client.find(Locator::Css("form.search input[name=busqueda]")).await.unwrap();
    search.send_keys("azucar").await.unwrap();
    client.find(Locator::Css("form.search button")).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form.add button")).await.unwrap();
    let results_url = client.current_url().await.unwrap();
    assert!(results_url.as_str().contains("busqueda=azucar"));
    assert!(client.source().await.unwrap().contains("Azúcar 1kg"));

    // Add to cart: the script updates the header count without a reload.
    client.find(Locator::Css("form.add button")).await.unwrap().click().await.unwrap();
    let counted = eventually(Duration::from_secs(10), || async { text_of(&client, "#cart-count").await == "1" }).await;
    assert!(counted, "cart count is {:?}", text_of(&client, "#cart-count").await);
    assert_eq!(client.current_url().await.unwrap(), results_url, "no page load");
    assert!(text_of(&client, "#aviso").await.contains("en tu carrito"));

    // Register; the guest cart follows the new account.
    client.goto(&format!("{}/register", ahorro.url)).await.unwrap();
    for (name, value) in [
        ("nombre", "Lucía"),
        ("apellido", "Fernández"),
        ("email", "lucia@example.com"),
        ("password", "secreto-largo"),
        ("confirmar_password", "secreto-largo"),
        ("telefono", "011-4781-0000"),
        ("direccion", "Av. Cabildo 2040, 3° B"),
    ] {
        client.find(Locator::Css(&format!("input[name={name}]"))).await.unwrap().send_keys(value).await.unwrap();
    }
    client.find(Locator::Css("input[name=terminos]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/register'] button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("usuario")).await.unwrap();
    assert_eq!(text_of(&client, "#usuario").await, "Lucía");
    assert_eq!(text_of(&client, "#cart-count").await, "1");

    // Check out from the cart (10 × $ 1.020 reaches Belgrano's minimum);
    // the form is prefilled from the profile.
    client.goto(&format!("{}/carrito", ahorro.url)).await.unwrap();
    assert!(client.source().await.unwrap().contains("Azúcar 1kg"));
    set_first_quantity(&client, &ahorro.url, 10).await;
    client.find(Locator::Id("ir-checkout")).await.unwrap().click().await.unwrap();
    let calle =
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("input[name=calle]")).await.unwrap();
    assert_eq!(calle.prop("value").await.unwrap().as_deref(), Some("Av. Cabildo 2040, 3° B"));
    fill_delivery(&client, "Av. Cabildo", "2040", "3° B").await;
    client.find(Locator::Css("select[name=metodo_pago] option[value=tarjeta]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("confirmar")).await.unwrap().click().await.unwrap();

    // The confirmation shows the order and its ticket.
    let ticket_id =
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".ticket-id")).await.unwrap();
    let ticket_id: i64 = ticket_id.text().await.unwrap().parse().unwrap();
    let numero = text_of(&client, ".numero").await;
    assert!(numero.starts_with("PED-"));
    assert_eq!(text_of(&client, ".ticket-estado").await, "Pendiente");
    let all = tickets.tickets().await;
    assert_exactly_once(&all, std::slice::from_ref(&numero));
    assert_eq!(all[0]["id"].as_i64(), Some(ticket_id));
    assert_eq!(all[0]["metodo_pago"], "tarjeta");
    assert_eq!(all[0]["cliente_nombre"], "Lucía Fernández");
    assert_eq!(text_of(&client, ".repartidor").await, all[0]["repartidor"].as_str().unwrap());

    // And it is listed under "Mis pedidos".
    client.goto(&format!("{}/mis_pedidos", ahorro.url)).await.unwrap();
    assert!(client.source().await.unwrap().contains(&numero));

    client.close().await.unwrap();
    ahorro.stop().await;
    tickets.stop().await;
}
