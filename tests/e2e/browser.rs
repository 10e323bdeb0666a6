//! A real browser (headless Chromium through chromedriver) browses,
//! searches, adds to the cart without a reload, registers, checks out and
//! sees the confirmation with the ticket from the real Tickets.
//!
//! Needs `chromium` and `chromium-driver` (Debian); override the paths
//! with `CHROMIUM` and `CHROMEDRIVER`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use belgrano_e2e::*;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_chromedriver() -> (Driver, String) {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary} ({e}); install Debian's chromium-driver"));
    let url = format!("http://127.0.0.1:{port}");
    let up = eventually(Duration::from_secs(10), || async {
        reqwest::get(format!("{url}/status")).await.is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(up, "chromedriver did not start");
    (Driver(child), url)
}

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_in_a_real_browser() {
    let tickets_db = TestDb::new(Backend::Sqlite, "tickets").await;
    let ahorro_db = TestDb::new(Backend::Sqlite, "ahorro").await;
    let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[]).await;

    let (_driver, driver_url) = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let client = ClientBuilder::rustls().unwrap().capabilities(caps).connect(&driver_url).await.expect("a browser session");

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

    // Check out from the cart; the form is prefilled from the profile.
    client.goto(&format!("{}/carrito", ahorro.url)).await.unwrap();
    assert!(client.source().await.unwrap().contains("Azúcar 1kg"));
    client.find(Locator::Id("ir-checkout")).await.unwrap().click().await.unwrap();
    let direccion = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("input[name=direccion]")).await.unwrap();
    assert_eq!(direccion.prop("value").await.unwrap().as_deref(), Some("Av. Cabildo 2040, 3° B"));
    client.find(Locator::Css("select[name=metodo_pago] option[value=tarjeta]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("confirmar")).await.unwrap().click().await.unwrap();

    // The confirmation shows the order and its ticket.
    let ticket_id = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".ticket-id")).await.unwrap();
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
