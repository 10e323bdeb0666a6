//! Shopping the catalogue in a real browser (headless Chromium through
//! chromedriver), at a phone's size (390×844) and a desktop's (1280×900):
//! "asucar" typed in the header's search finds Azúcar, the results sort by
//! price, a product page shows its breadcrumb, price per kg and related
//! products, a category filters by store; nothing scrolls sideways.
//! Screenshots go to `target/screenshots/busqueda-phone.png`,
//! `producto-phone.png`, `producto-desktop.png` and `categoria-desktop.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::{Driver, text_of};
use belgrano_e2e::*;
use fantoccini::{Client, Locator};

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 900);
/// WebDriver's Enter key.
const ENTER: char = '\u{E007}';

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sizes the window so the page itself (the viewport, without the
/// browser's own bars) is `width`×`height`.
async fn viewport(client: &Client, (width, height): (u32, u32)) {
    client.set_window_size(width, height).await.unwrap();
    // Only the height: headless Chromium draws no side bars.
    let bar = client.execute("return window.outerHeight - window.innerHeight;", vec![]).await.unwrap();
    client.set_window_size(width, height + bar.as_u64().unwrap_or(0) as u32).await.unwrap();
}

/// The whole page at `size`'s width (the viewport grows to the page's
/// height for the picture, then goes back).
async fn shot(client: &Client, size: (u32, u32), name: &str) {
    let height = client.execute("return document.documentElement.scrollHeight;", vec![]).await.unwrap();
    let height = height.as_u64().unwrap_or(u64::from(size.1)).clamp(u64::from(size.1), 4000) as u32;
    viewport(client, (size.0, height)).await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    viewport(client, size).await;
}

async fn no_sideways_scroll(client: &Client, what: &str) {
    let spill = client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(spill.as_i64(), Some(0), "{what} scrolls sideways");
}

/// Waits for the page's address to contain `part`.
async fn until_url(client: &Client, part: &str) {
    let reached = eventually(Duration::from_secs(10), || async {
        client.current_url().await.is_ok_and(|u| u.as_str().contains(part))
    })
    .await;
    assert!(reached, "the address never had {part}: {:?}", client.current_url().await);
}

/// The product cards' names, in order.
async fn card_names(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for h in client.find_all(Locator::Css(".grid .card h3")).await.unwrap() {
        out.push(h.text().await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopping_the_catalogue_on_a_phone_and_a_desktop() {
    let db = TestDb::new(Backend::Sqlite).await;
    // Nothing is bought: Tickets is never called (a closed port).
    let ahorro = Ahorro::start(&db, "http://127.0.0.1:9", &[]).await;
    let driver = Driver::start().await;
    let (client, _profile) = driver.browser().await;

    for (size, device) in [(PHONE, "phone"), (DESKTOP, "desktop")] {
        viewport(&client, size).await;

        // The header's search, with a typo.
        client.goto(&ahorro.url).await.unwrap();
        let search = client.find(Locator::Css("header input[name=busqueda]")).await.unwrap();
        search.send_keys(&format!("asucar{ENTER}")).await.unwrap();
        until_url(&client, "busqueda=asucar").await;
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".grid .card")).await.unwrap();
        assert_eq!(card_names(&client).await, ["Azúcar 1kg", "Azúcar Rubia 1kg"], "{device}");
        assert!(text_of(&client, "h1").await.contains("asucar"));
        if device == "phone" {
            no_sideways_scroll(&client, "the results").await;
            shot(&client, size, "busqueda-phone").await;
        }

        // Sorted by price, dearest first (a plain GET form).
        client.find(Locator::Css("select#orden option[value=precio_desc]")).await.unwrap().click().await.unwrap();
        client.find(Locator::Css("form.orden button[type=submit]")).await.unwrap().click().await.unwrap();
        until_url(&client, "orden=precio_desc").await;
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".grid .card")).await.unwrap();
        assert_eq!(card_names(&client).await, ["Azúcar Rubia 1kg", "Azúcar 1kg"], "{device}");

        // The product page: breadcrumb back to its category, price per kg,
        // related products.
        client.find(Locator::Css(".grid .card h3 a")).await.unwrap().click().await.unwrap();
        until_url(&client, "/producto/28").await;
        let ruta = text_of(&client, "nav[aria-label=Ruta]").await;
        assert!(ruta.contains("Inicio") && ruta.contains("Condimentos") && ruta.contains("Azúcar Rubia 1kg"), "{ruta}");
        assert!(text_of(&client, ".por-medida").await.contains("el kg"));
        let related = client.find_all(Locator::Css(".relacionados .card")).await.unwrap();
        assert_eq!(related.len(), 4, "{device}");
        if device == "phone" {
            no_sideways_scroll(&client, "the product page").await;
        }
        shot(&client, size, &format!("producto-{device}")).await;

        // A category, filtered to one store.
        client.goto(&format!("{}/categoria/lacteos", ahorro.url)).await.unwrap();
        client
            .find(Locator::Css("nav[aria-label='Filtrar por negocio'] a[href*=maxi_descuento]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until_url(&client, "negocio=maxi_descuento").await;
        let current = text_of(&client, "nav[aria-label='Filtrar por negocio'] a[aria-current]").await;
        assert!(current.starts_with("Maxi Descuento ("), "{current}");
        let names = card_names(&client).await;
        assert!(!names.is_empty() && !names.iter().any(|n| n == "Leche Entera 1L"), "{names:?}");
        if device == "phone" {
            no_sideways_scroll(&client, "the category").await;
        } else {
            shot(&client, size, "categoria-desktop").await;
        }
    }

    client.close().await.unwrap();
    ahorro.stop().await;
}
