//! Real browsers for the end-to-end tests: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`; override the
//! paths with `CHROMIUM` and `CHROMEDRIVER`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{eventually, free_port};

/// A running chromedriver; stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Self {
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
        Self { child, url }
    }

    /// A new browser with its own empty profile (its own cookies).
    pub async fn browser(&self) -> (Client, tempfile::TempDir) {
        self.start_browser(None).await
    }

    /// A browser with a phone's screen, `width` × `height` CSS pixels (a
    /// headless window cannot be narrower than 500 pixels; Chromium's
    /// device emulation can).
    pub async fn phone(&self, width: u32, height: u32) -> (Client, tempfile::TempDir) {
        self.start_browser(Some((width, height))).await
    }

    async fn start_browser(&self, phone: Option<(u32, u32)>) -> (Client, tempfile::TempDir) {
        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut options = json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display())]
        });
        if let Some((width, height)) = phone {
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "touch": true, "mobile": true}});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client =
            ClientBuilder::rustls().unwrap().capabilities(caps).connect(&self.url).await.expect("a browser session");
        (client, profile)
    }
}

/// The text of the first element matching `css`, or "" when there is none.
pub async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Fills and submits the Tickets login form.
pub async fn login_tickets(client: &Client, tickets_url: &str, email: &str, password: &str) {
    client.goto(&format!("{tickets_url}/login")).await.unwrap();
    client.find(Locator::Css("input[name=email]")).await.unwrap().send_keys(email).await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
}

/// On the cart page, sets the first line's quantity to `cantidad` (orders
/// with a structured address must reach the barrio's minimum).
pub async fn set_first_quantity(client: &Client, ahorro_url: &str, cantidad: u32) {
    client.goto(&format!("{ahorro_url}/carrito")).await.unwrap();
    let input = client.find(Locator::Css("input[name=cantidad][type=number]")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(&cantidad.to_string()).await.unwrap();
    // The script replaces the cart after the update (app.js,
    // `recargarCarrito`): mark the cart shown now and wait for the one
    // that replaces it. Waiting for `#ir-checkout` alone found the old
    // link, which the replacement then detached before the click.
    client.execute("document.getElementById('carrito').dataset.antes = '1'", vec![]).await.unwrap();
    client
        .find(Locator::Css("form[action='/carrito/actualizar'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#carrito:not([data-antes]) #ir-checkout"))
        .await
        .unwrap();
}

/// On the checkout page: types the structured address (the barrio's select
/// keeps its default, Belgrano) and picks the first window that can be chosen.
pub async fn fill_delivery(client: &Client, calle: &str, altura: &str, piso: &str) {
    for (name, value) in [("calle", calle), ("altura", altura), ("piso", piso)] {
        let input = client.find(Locator::Css(&format!("input[name={name}]"))).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    client.find(Locator::Css("input[name=franja_id]:not([disabled])")).await.unwrap().click().await.unwrap();
}
