//! A merchant's weekly bundle across real processes: Ahorro (the binary)
//! with `CLOCK_FILE`, real Tickets. The merchant creates the bundle on the
//! page in headless Chromium (390×844 and 1280×900, screenshots in
//! `target/screenshots/comerciantes-{phone,desktop}.png`), the clock file
//! moves a week and exactly one ticket reaches Tickets as `alta`. Then two
//! Ahorro instances on one PostgreSQL, one killed -9 around the tick (and
//! started again): still exactly one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::{Driver, text_of};
use belgrano_e2e::*;
use chrono::{DateTime, Utc};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const AHORRO_BIN: &str = env!("CARGO_BIN_EXE_ahorro_e2e");
const MERCHANT: (&str, &str) = ("comerciante@belgrano.local", "comerciante1234");

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T15:00:00Z").unwrap().to_utc()
}

/// The clock every Ahorro process reads (`CLOCK_FILE`).
struct ClockFile(tempfile::TempDir);

impl ClockFile {
    fn new(at: DateTime<Utc>) -> Self {
        let c = ClockFile(tempfile::tempdir().unwrap());
        c.set(at);
        c
    }
    fn path(&self) -> PathBuf {
        self.0.path().join("reloj")
    }
    fn set(&self, at: DateTime<Utc>) {
        // Written whole then renamed: a reader never sees half an instant.
        let tmp = self.0.path().join("reloj.tmp");
        std::fs::write(&tmp, at.to_rfc3339()).unwrap();
        std::fs::rename(tmp, self.path()).unwrap();
    }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let bar = client.execute("return window.outerHeight - window.innerHeight;", vec![]).await.unwrap();
    client.set_window_size(width, height + bar.as_u64().unwrap_or(0) as u32).await.unwrap();
}

async fn shot_without_sideways_scroll(client: &Client, name: &str, width: u32) {
    let wide = client.execute("return document.documentElement.scrollWidth;", vec![]).await.unwrap();
    assert!(wide.as_u64().unwrap() <= u64::from(width), "{name}: the page fits {width} px ({wide})");
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn ahorro(db_url: &str, tickets_url: &str, clock: &ClockFile) -> ServiceProcess {
    let path = clock.path().display().to_string();
    ServiceProcess::spawn_ahorro_on(
        AHORRO_BIN,
        db_url,
        tickets_url,
        &[("CLOCK_FILE", path.as_str()), ("PAQUETES_INTERVALO_SEGUNDOS", "1"), ("RENDER_ENVIRONMENT", "development")],
    )
    .await
}

/// Tickets' tickets once there are `n` (or 30 s passed).
async fn tickets_once(tickets: &Tickets, n: usize) -> Vec<Value> {
    eventually(Duration::from_secs(30), || async { tickets.tickets().await.len() >= n }).await;
    tickets.tickets().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_bundle_from_the_page_becomes_one_alta_ticket() {
    let ahorro_db = TestDb::new(Backend::Sqlite).await;
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let clock = ClockFile::new(t0());
    let tickets_port = free_port();
    let shop = ahorro(&ahorro_db.url, &format!("http://127.0.0.1:{tickets_port}"), &clock).await;
    let tickets = Tickets::start(&tickets_db, tickets_port, &shop.url).await;

    let driver = Driver::start().await;
    let (client, _profile) = driver.browser().await;
    viewport(&client, 390, 844).await;
    client.goto(&format!("{}/login?next=%2Fcomerciantes", shop.url)).await.unwrap();
    client.find(Locator::Css("input[name=email]")).await.unwrap().send_keys(MERCHANT.0).await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(MERCHANT.1).await.unwrap();
    client.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("sin-paquetes")).await.unwrap();
    // On a phone the account links are in the header's menu (hidden until opened).
    let link = client
        .execute("const a = document.querySelector('#mis-paquetes'); return a ? a.textContent : '';", vec![])
        .await
        .unwrap();
    assert_eq!(link, "Mis paquetes", "the nav link");

    let form = "form[action='/comerciantes/paquetes']";
    client
        .find(Locator::Css(&format!("{form} input[name=nombre]")))
        .await
        .unwrap()
        .send_keys("Kiosco semanal")
        .await
        .unwrap();
    client
        .find(Locator::Css(&format!("{form} select[name=producto_0] option[value='1']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let q = client.find(Locator::Css(&format!("{form} input[name=cantidad_0]"))).await.unwrap();
    q.clear().await.unwrap();
    q.send_keys("3").await.unwrap();
    client.find(Locator::Css(&format!("{form} button[type=submit]"))).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("article.paquete")).await.unwrap();
    let aviso = text_of(&client, "#aviso").await;
    assert!(aviso.contains("Guardamos el paquete «Kiosco semanal»") && aviso.contains("09/12/2026"), "{aviso}");
    shot_without_sideways_scroll(&client, "comerciantes-phone", 390).await;
    viewport(&client, 1280, 900).await;
    client.refresh().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("article.paquete")).await.unwrap();
    shot_without_sideways_scroll(&client, "comerciantes-desktop", 1280).await;
    assert!(tickets.tickets().await.is_empty(), "nothing is due yet");

    clock.set(t0() + chrono::Duration::days(7));
    let sent = tickets_once(&tickets, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["prioridad"], "alta");
    assert_eq!(sent[0]["tipo_cliente"], "comerciante");
    // Several ticks later, still one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tickets.tickets().await.len(), 1);
    client.refresh().await.unwrap();
    let numero = sent[0]["numero"].as_str().unwrap();
    assert!(client.source().await.unwrap().contains(numero), "the order is on the merchant's page");
    client.close().await.unwrap();
    tickets.stop().await;
}

/// A logged-in merchant's cookies and CSRF token, through plain HTTP.
async fn login(url: &str) -> (reqwest::Client, String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{url}/login")).send().await.unwrap();
    let mut cookies: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = page.text().await.unwrap();
    let at = body.find("data-csrf=\"").unwrap() + "data-csrf=\"".len();
    let csrf = body[at..at + 64].to_owned();
    let form = belgrano_testkit::urlencode(&[("csrf", csrf.as_str()), ("email", MERCHANT.0), ("password", MERCHANT.1)]);
    let answer = client
        .post(format!("{url}/login"))
        .header("Cookie", cookies.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "the merchant logs in");
    for c in answer.headers().get_all("set-cookie") {
        let pair = c.to_str().unwrap().split(';').next().unwrap().to_owned();
        let name = pair.split('=').next().unwrap().to_owned();
        cookies.retain(|k| !k.starts_with(&format!("{name}=")));
        cookies.push(pair);
    }
    (client, cookies.join("; "), csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_and_a_kill_place_the_bundle_once() {
    if multi_instance_env().is_none() {
        return;
    }
    let ahorro_db = TestDb::new(Backend::Postgres).await;
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let clock = ClockFile::new(t0());
    let tickets_port = free_port();
    let tickets_url = format!("http://127.0.0.1:{tickets_port}");
    let a = ahorro(&ahorro_db.url, &tickets_url, &clock).await;
    let b = ahorro(&ahorro_db.url, &tickets_url, &clock).await;
    let tickets = Tickets::start(&tickets_db, tickets_port, &b.url).await;

    let (client, cookie, csrf) = login(&a.url).await;
    let created = client
        .post(format!("{}/api/paquetes", a.url))
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"nombre": "Bar semanal", "frecuencia": "semanal", "items": [{"producto_id": 2, "cantidad": 4}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // The week passes; one instance dies -9 as it ticks; the other goes on.
    clock.set(t0() + chrono::Duration::days(7));
    tokio::time::sleep(Duration::from_millis(400)).await;
    a.kill9();
    let sent = tickets_once(&tickets, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["prioridad"], "alta");
    // Back from the dead, it finds the bundle done.
    let a = ahorro(&ahorro_db.url, &tickets_url, &clock).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = tickets.tickets().await;
    assert_eq!(sent.len(), 1, "exactly one ticket: {sent:?}");
    let listed: Value = client
        .get(format!("{}/api/paquetes", a.url))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["paquetes"][0]["proxima_fecha"], "2026-12-16", "{listed}");
    drop((a, b));
    tickets.stop().await;
}
