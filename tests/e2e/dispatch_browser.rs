//! The desk in real browsers (headless Chromium): a board open in one
//! browser shows a new ticket, without a reload, when a customer checks out
//! in another; a courier's clicks change what the customer's tracking page
//! shows, live.

use std::time::Duration;

use belgrano_e2e::browser::{Driver, fill_delivery, login_tickets, set_first_quantity, text_of};
use belgrano_e2e::*;
use fantoccini::{Client, Locator};
use serde_json::Value;

async fn system() -> (TestDb, TestDb, Tickets, Ahorro) {
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let ahorro_db = TestDb::new(Backend::Sqlite).await;
    let ahorro_port = free_port().to_string();
    let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{ahorro_port}")).await;
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[("PORT", ahorro_port.as_str())]).await;
    (tickets_db, ahorro_db, tickets, ahorro)
}

/// Marks the page so a test can tell it was not reloaded.
async fn mark(client: &Client) {
    client.execute("window.__sin_recargar = 'si'; return true;", vec![]).await.unwrap();
}

async fn still_marked(client: &Client) -> bool {
    client.execute("return window.__sin_recargar === 'si';", vec![]).await.unwrap() == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_shows_a_new_ticket_without_reload_after_a_checkout_elsewhere() {
    let (_t, _a, tickets, ahorro) = system().await;
    let driver = Driver::start().await;

    // The dispatcher's browser: the live board.
    let (desk, _desk_profile) = driver.browser().await;
    login_tickets(&desk, &tickets.url, "admin@belgrano.local", "demo1234").await;
    desk.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("live-status")).await.unwrap();
    let live =
        eventually(Duration::from_secs(10), || async { text_of(&desk, "#live-status").await == "En vivo" }).await;
    assert!(live, "the board is connected: {}", text_of(&desk, "#live-status").await);
    mark(&desk).await;

    // The customer's browser: a guest buys one product.
    let (shop, _shop_profile) = driver.browser().await;
    shop.goto(&ahorro.url).await.unwrap();
    shop.find(Locator::Css("form.add button")).await.unwrap().click().await.unwrap();
    let counted = eventually(Duration::from_secs(10), || async { text_of(&shop, "#cart-count").await == "1" }).await;
    assert!(counted, "added to the cart");
    // Enough for Belgrano's minimum ($ 8.000).
    set_first_quantity(&shop, &ahorro.url, 12).await;
    shop.goto(&format!("{}/checkout", ahorro.url)).await.unwrap();
    fill_delivery(&shop, "Juramento", "2100", "5° A").await;
    for (name, value) in
        [("nombre", "Marta"), ("apellido", "Suárez"), ("email", "marta@example.com"), ("telefono", "011-4700-1234")]
    {
        let input = shop.find(Locator::Css(&format!("input[name={name}]"))).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    shop.find(Locator::Id("confirmar")).await.unwrap().click().await.unwrap();
    let numero = shop.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".numero")).await.unwrap();
    let numero = numero.text().await.unwrap();
    assert!(numero.starts_with("PED-"), "{numero}");

    // The board shows it, with a notification, and was never reloaded.
    let card = format!(".card[data-numero='{numero}']");
    let shown = eventually(Duration::from_secs(10), || async { desk.find(Locator::Css(&card)).await.is_ok() }).await;
    assert!(shown, "the new ticket appears on the board");
    assert!(text_of(&desk, &format!("{card} .cliente")).await.contains("Marta Suárez"));
    assert!(text_of(&desk, ".toast.nuevo").await.contains(&numero), "a visible notification");
    assert!(still_marked(&desk).await, "no reload");

    desk.close().await.unwrap();
    shop.close().await.unwrap();
    ahorro.stop().await;
    tickets.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_couriers_clicks_change_the_customers_tracking_page() {
    let (_t, _a, tickets, ahorro) = system().await;
    let (status, answer) = checkout(&ahorro.url, &checkout_body(7, &[(2, 1)])).await;
    assert_eq!(status, 200, "{answer}");
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    let link = answer["pedido"]["seguimiento_url"].as_str().unwrap().to_owned();
    let link = if link.starts_with("http") { link } else { format!("{}{link}", ahorro.url) };
    let ticket = tickets.tickets().await.into_iter().find(|t| t["numero"] == numero).unwrap();
    let courier_email = format!("{}@belgrano.local", ticket["repartidor"].as_str().unwrap().to_lowercase());

    let driver = Driver::start().await;
    let (customer, _customer_profile) = driver.browser().await;
    customer.goto(&link).await.unwrap();
    assert_eq!(text_of(&customer, "#estado").await, "Pendiente");
    mark(&customer).await;

    let (courier, _courier_profile) = driver.browser().await;
    login_tickets(&courier, &tickets.url, &courier_email, "demo1234").await;
    courier.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("section.courier")).await.unwrap();
    let button = format!("article[data-id='{}'] button.big", ticket["id"]);
    for (label, estado) in [("Empezar preparación", "En preparación"), ("Salgo en camino", "En camino")] {
        let next = courier.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(&button)).await.unwrap();
        assert_eq!(next.text().await.unwrap(), label);
        next.click().await.unwrap();
        let seen =
            eventually(Duration::from_secs(15), || async { text_of(&customer, "#estado").await == estado }).await;
        assert!(seen, "the tracking page shows {estado}: {}", text_of(&customer, "#estado").await);
    }
    let nota = courier
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("article[data-id='{}'] input[name=nota]", ticket["id"])))
        .await
        .unwrap();
    nota.send_keys("Lo recibió el encargado").await.unwrap();
    courier.find(Locator::Css(&button)).await.unwrap().click().await.unwrap();
    let delivered =
        eventually(Duration::from_secs(15), || async { text_of(&customer, "#estado").await == "Entregado" }).await;
    assert!(delivered, "the tracking page shows Entregado");
    assert!(still_marked(&customer).await, "live, without a reload");
    assert_eq!(text_of(&customer, "#repartidor").await, ticket["repartidor"].as_str().unwrap());
    // The courier's list no longer has it.
    assert!(courier.find(Locator::Css(&button)).await.is_err());

    customer.close().await.unwrap();
    courier.close().await.unwrap();
    ahorro.stop().await;
    tickets.stop().await;
}

/// What a shopper typed: text meant to end the board's `<script>` data
/// early (`</script>`, `<!--<script>`), run code, or trip older JavaScript
/// (U+2028, U+2029).
const HOSTILE_NAME: &str = "</script><script>alert(1)</script>\u{2028}&<b>";
const HOSTILE_ADDRESS: &str = "<!--<script>window.__roto=1</script>\u{2029}Juramento 2100";

async fn post_ticket(tickets: &Tickets, numero: &str, nombre: &str, direccion: &str) {
    let body = serde_json::json!({
        "numero": numero,
        "cliente_nombre": nombre,
        "cliente_direccion": direccion,
        "productos": [{"nombre": "<img src=x onerror=alert(2)>", "precio": 100, "cantidad": 1, "subtotal": 100}],
        "total": 100.0,
    });
    let response = reqwest::Client::new()
        .post(format!("{}/api/tickets", tickets.url))
        .header("X-API-Key", API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{numero}");
}

/// The exact text (`textContent`, no whitespace folding) of the first
/// element matching `css`, or null.
async fn exact_text(client: &Client, css: &str) -> Value {
    client
        .execute("var n = document.querySelector(arguments[0]); return n ? n.textContent : null;", vec![css.into()])
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_shows_hostile_customer_text_as_text_and_keeps_working() {
    let db = TestDb::new(Backend::Sqlite).await;
    let tickets = Tickets::start(&db, 0, &format!("http://127.0.0.1:{}", free_port())).await;
    post_ticket(&tickets, "PED-BIEN-1", "Marta Suárez", "Cabildo 100").await;
    post_ticket(&tickets, "PED-HOSTIL-1", HOSTILE_NAME, HOSTILE_ADDRESS).await;
    post_ticket(&tickets, "PED-BIEN-2", "Luis Díaz", "Monroe 200").await;

    let driver = Driver::start().await;
    let (desk, _profile) = driver.browser().await;
    login_tickets(&desk, &tickets.url, "admin@belgrano.local", "demo1234").await;
    desk.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("live-status")).await.unwrap();
    let live =
        eventually(Duration::from_secs(10), || async { text_of(&desk, "#live-status").await == "En vivo" }).await;
    assert!(live, "the board's script runs and connects: {:?}", text_of(&desk, "#live-status").await);
    assert!(desk.get_alert_text().await.is_err(), "no script of the shopper's ran (no alert)");

    // Every ticket is on the board, the hostile one as plain text.
    let size = desk.execute("return window.belgranoBoard.size();", vec![]).await.unwrap();
    assert_eq!(size, 3, "the board knows every ticket");
    assert_eq!(desk.find_all(Locator::Css(".card")).await.unwrap().len(), 3, "and shows them");
    for numero in ["PED-BIEN-1", "PED-BIEN-2"] {
        assert!(desk.find(Locator::Css(&format!(".card[data-numero='{numero}']"))).await.is_ok(), "{numero}");
    }
    let card = ".card[data-numero='PED-HOSTIL-1']";
    assert_eq!(exact_text(&desk, &format!("{card} .cliente")).await, HOSTILE_NAME);
    assert_eq!(exact_text(&desk, &format!("{card} .direccion")).await, HOSTILE_ADDRESS);
    let ran = desk
        .execute(
            "return typeof window.__roto !== 'undefined' || !!document.querySelector('.card b, .card img');",
            vec![],
        )
        .await;
    assert_eq!(ran.unwrap(), false, "nothing the shopper typed became markup or code");

    // Live, too: a new hostile ticket arrives as text, with its notification.
    post_ticket(&tickets, "PED-HOSTIL-2", HOSTILE_NAME, HOSTILE_ADDRESS).await;
    let card = ".card[data-numero='PED-HOSTIL-2']";
    let shown = eventually(Duration::from_secs(10), || async { desk.find(Locator::Css(card)).await.is_ok() }).await;
    assert!(shown, "the live event shows up");
    assert_eq!(exact_text(&desk, &format!("{card} .cliente")).await, HOSTILE_NAME);
    assert!(exact_text(&desk, ".toast.nuevo").await.as_str().unwrap_or_default().contains(HOSTILE_NAME));
    assert!(desk.get_alert_text().await.is_err(), "still no alert");

    desk.close().await.unwrap();
    tickets.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_whose_session_ends_in_another_tab_leaves_for_the_login_page() {
    let db = TestDb::new(Backend::Sqlite).await;
    let tickets = Tickets::start(&db, 0, &format!("http://127.0.0.1:{}", free_port())).await;
    let driver = Driver::start().await;
    let (desk, _profile) = driver.browser().await;
    login_tickets(&desk, &tickets.url, "admin@belgrano.local", "demo1234").await;
    desk.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("live-status")).await.unwrap();
    let live =
        eventually(Duration::from_secs(10), || async { text_of(&desk, "#live-status").await == "En vivo" }).await;
    assert!(live, "the board is connected");
    let board_tab = desk.window().await.unwrap();

    // Another tab of the same browser logs out.
    let other = desk.new_window(true).await.unwrap();
    desk.switch_to_window(other.handle).await.unwrap();
    desk.goto(&format!("{}/cuenta/password", tickets.url)).await.unwrap();
    desk.find(Locator::Css("form.logout button")).await.unwrap().click().await.unwrap();
    let out =
        eventually(Duration::from_secs(10), || async { desk.current_url().await.is_ok_and(|u| u.path() == "/login") })
            .await;
    assert!(out, "the other tab is logged out");

    // The board's live connection was closed by the server, and the board
    // went to the login page by itself (it shows no more customers' data).
    desk.switch_to_window(board_tab).await.unwrap();
    let left =
        eventually(Duration::from_secs(10), || async { desk.current_url().await.is_ok_and(|u| u.path() == "/login") })
            .await;
    assert!(left, "the board left for the login page: {:?}", desk.current_url().await);
    assert!(desk.find(Locator::Css(".card")).await.is_err());

    desk.close().await.unwrap();
    tickets.stop().await;
}
