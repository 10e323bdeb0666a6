//! The shop's owner runs the back office in a real browser (headless
//! Chromium), against a real Tickets: logs in and lands on /admin, changes
//! a price (the shop shows it at once), uploads a photo (on the card and the
//! product page), raises one store's prices 8 % after a preview, imports a
//! CSV with a bad line (refused whole, every bad line named) and then a good
//! one, sets a product to 0 stock (it cannot be bought), and finds a parked
//! delivery and retries it. Screenshots go to `target/screenshots/backoffice/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::{Driver, text_of};
use belgrano_e2e::*;
use fantoccini::{Client, Locator};

const ADMIN_EMAIL: &str = "duenia@almacen.com.ar";
const ADMIN_PASSWORD: &str = "una-clave-de-la-duenia";
/// The key Tickets is first started with: not the one Ahorro sends, so the
/// first delivery is refused (401) and parked for a person.
const OTHER_KEY: &str = "a-rotated-key-ahorro-does-not-know-yet-000";

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots/backoffice");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn fill(client: &Client, css: &str, value: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no field {css}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("nothing to click at {css}")).click().await.unwrap();
}

async fn page_text(client: &Client) -> String {
    client.source().await.unwrap()
}

/// Waits until the page's source contains `text` (a form posts and the
/// browser loads the answer).
async fn until_page_has(client: &Client, text: &str) {
    let found = eventually(Duration::from_secs(10), || async { page_text(client).await.contains(text) }).await;
    assert!(found, "the page never showed {text:?}; it is {}", client.current_url().await.unwrap());
}

/// The shop's price of a product as its page shows it (`$ 1.234`).
async fn shop_price(ahorro_url: &str, id: i64) -> String {
    let html = reqwest::get(format!("{ahorro_url}/producto/{id}")).await.unwrap().text().await.unwrap();
    let start = html.find("class=\"price big\">").expect("a price") + "class=\"price big\">".len();
    // Pages keep a price's sign and amount together (a non-breaking space).
    html[start..].split('<').next().unwrap().trim().replace('\u{a0}', " ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_runs_the_shop_from_the_back_office() {
    let tickets_db = TestDb::new(Backend::Sqlite).await;
    let ahorro_db = TestDb::new(Backend::Sqlite).await;
    let tickets_port = free_port();
    let tickets_url = format!("http://127.0.0.1:{tickets_port}");
    let tickets =
        Tickets::start_with(&tickets_db, tickets_port, "http://127.0.0.1:9", &[("BELGRANO_AHORRO_API_KEY", OTHER_KEY)])
            .await;
    let admin = [("ADMIN_EMAIL", ADMIN_EMAIL), ("ADMIN_PASSWORD", ADMIN_PASSWORD)];
    let ahorro = Ahorro::start(&ahorro_db, &tickets_url, &admin).await;
    let shop = ahorro.url.clone();

    let driver = Driver::start().await;
    let (client, _profile) = driver.browser().await;

    // Staff log in at the shop's /login and land on /admin.
    client.goto(&format!("{shop}/login")).await.unwrap();
    fill(&client, "input[name=email]", ADMIN_EMAIL).await;
    fill(&client, "input[name=password]", ADMIN_PASSWORD).await;
    click(&client, "form[action='/login'] button[type=submit]").await;
    let landed =
        eventually(Duration::from_secs(10), || async { client.current_url().await.unwrap().path() == "/admin" }).await;
    assert!(landed, "staff land on /admin, not {}", client.current_url().await.unwrap());
    shot(&client, "01-panel").await;

    // A price, changed in the product's form: the shop shows it at once.
    assert_eq!(shop_price(&shop, 1).await, "$ 950");
    client.goto(&format!("{shop}/admin/productos/1")).await.unwrap();
    fill(&client, "#producto-form input[name=precio]", "1234").await;
    shot(&client, "02-producto").await;
    click(&client, "#producto-form button[type=submit]").await;
    let shown = eventually(Duration::from_secs(10), || async { shop_price(&shop, 1).await == "$ 1.234" }).await;
    assert!(shown, "the shop shows {}", shop_price(&shop, 1).await);
    client.goto(&format!("{shop}/admin/productos/1")).await.unwrap();
    until_page_has(&client, ADMIN_EMAIL).await; // the price history names who changed it

    // A photo: uploaded from the page, it shows on the product page and the card.
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/foto-producto.png");
    client.goto(&format!("{shop}/admin/productos/1/imagen")).await.unwrap();
    client
        .find(Locator::Css("input[type=file][name=imagen]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    click(&client, "form[action='/admin/productos/1/imagen'] button[type=submit]").await;
    let stored = eventually(Duration::from_secs(10), || async {
        let page = reqwest::get(format!("{shop}/producto/1")).await.unwrap().text().await.unwrap();
        page.contains("src=\"/img/")
    })
    .await;
    assert!(stored, "the product page shows the uploaded photo");
    client.goto(&format!("{shop}/producto/1")).await.unwrap();
    shot(&client, "03-producto-con-foto").await;
    let image_url: String = client
        .execute("return document.querySelector('img.ph.big').currentSrc", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let loaded = client.execute("return document.querySelector('img.ph.big').naturalWidth", vec![]).await.unwrap();
    assert!(loaded.as_u64().unwrap_or(0) > 0, "the browser decoded {image_url}");
    let home = reqwest::get(format!("{shop}/?busqueda=arroz")).await.unwrap().text().await.unwrap();
    assert!(home.contains("src=\"/img/"), "the card shows it too");

    // Prices in bulk: +8 % on one store, rounded to $ 10, previewed first.
    let before = shop_price(&shop, 2).await;
    client.goto(&format!("{shop}/admin/precios")).await.unwrap();
    fill(&client, "#ajuste input[name=porcentaje]", "8").await;
    client
        .find(Locator::Css("#ajuste select[name=negocio]"))
        .await
        .unwrap()
        .select_by_value("belgrano_ahorro")
        .await
        .unwrap();
    fill(&client, "#ajuste input[name=redondeo]", "10").await;
    click(&client, "#ajuste button[value=simular]").await;
    until_page_has(&client, "value=\"aplicar\"").await;
    shot(&client, "04-precios-vista-previa").await;
    assert_eq!(shop_price(&shop, 2).await, before, "a preview changes nothing");
    click(&client, "#ajuste button[value=aplicar]").await;
    let raised = eventually(Duration::from_secs(10), || async { shop_price(&shop, 2).await != before }).await;
    assert!(raised, "the store's prices went up: still {before}");

    // A CSV with a bad line is refused whole, every bad line named; then a good one.
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("precios-con-error.csv");
    std::fs::write(
        &bad,
        "id;nombre;precio;stock;negocio;categoria\n\
         3;Fideos tirabuzón 500g;1.100,00;40;belgrano_ahorro;granos_cereales\n\
         4;Harina 000 1kg;barata;30;belgrano_ahorro;granos_cereales\n\
         ;Producto sin negocio;500;5;no_existe;granos_cereales\n",
    )
    .unwrap();
    let before_3 = shop_price(&shop, 3).await;
    client.goto(&format!("{shop}/admin/productos/importar")).await.unwrap();
    client
        .find(Locator::Css("input[type=file][name=archivo]"))
        .await
        .unwrap()
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    click(&client, "form[enctype='multipart/form-data'] button[type=submit]").await;
    until_page_has(&client, "id=\"errores\"").await;
    let refused = text_of(&client, "#errores").await;
    // Line 1 is the header: the two bad lines are 3 and 4, and the good line 2 is not listed.
    for line in ["Línea 3, precio", "Línea 4, negocio"] {
        assert!(refused.contains(line), "{line} is named: {refused}");
    }
    assert!(!refused.contains("Línea 2"), "{refused}");
    shot(&client, "05-csv-rechazado").await;
    assert_eq!(shop_price(&shop, 3).await, before_3, "the good line was not applied either");

    let good = files.path().join("precios.csv");
    std::fs::write(&good, "id,nombre,precio,stock,negocio,categoria\n3,Fideos tirabuzón 500g,1100.00,40,belgrano_ahorro,granos_cereales\n").unwrap();
    client.goto(&format!("{shop}/admin/productos/importar")).await.unwrap();
    client
        .find(Locator::Css("input[type=file][name=archivo]"))
        .await
        .unwrap()
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    click(&client, "form[enctype='multipart/form-data'] button[type=submit]").await;
    until_page_has(&client, "name=\"contenido\"").await; // the preview, with "Aplicar"
    click(&client, "form[action='/admin/productos/importar']:not([enctype]) button[type=submit]").await;
    let imported = eventually(Duration::from_secs(10), || async { shop_price(&shop, 3).await == "$ 1.100" }).await;
    assert!(imported, "the good file applied: {}", shop_price(&shop, 3).await);

    // Stock 0: the shop says "Sin stock" and offers no way to buy it.
    client.goto(&format!("{shop}/admin/productos/2")).await.unwrap();
    fill(&client, "form[action='/admin/productos/2/stock'] input[name=stock]", "0").await;
    click(&client, "form[action='/admin/productos/2/stock'] button[type=submit]").await;
    let out = eventually(Duration::from_secs(10), || async {
        reqwest::get(format!("{shop}/producto/2")).await.unwrap().text().await.unwrap().contains("Sin stock")
    })
    .await;
    assert!(out, "the product page says Sin stock");
    client.goto(&format!("{shop}/producto/2")).await.unwrap();
    // (The related products below it keep theirs.)
    let own = Locator::Css("article.detail form.add button");
    assert!(client.find(own).await.is_err(), "no add-to-cart button at 0 stock");
    shot(&client, "06-sin-stock").await;

    // A parked delivery: Tickets refused the order (wrong key, 401). Once the
    // key is fixed on Tickets' side, the owner retries it from the page.
    let (status, answer) = checkout(&shop, &checkout_body(1, &[(5, 1)])).await;
    assert!(status == 200 || status == 201, "{status} {answer}");
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    client.goto(&format!("{shop}/admin/envios")).await.unwrap();
    let parked = eventually(Duration::from_secs(20), || async {
        client.refresh().await.unwrap();
        page_text(&client).await.contains(&numero)
    })
    .await;
    assert!(parked, "the refused delivery of {numero} is listed");
    shot(&client, "07-envios-fallidos").await;
    tickets.stop().await;
    let both_keys = format!("{API_KEY},{OTHER_KEY}");
    let tickets = Tickets::start_with(
        &tickets_db,
        tickets_port,
        "http://127.0.0.1:9",
        &[("BELGRANO_AHORRO_API_KEY", &both_keys)],
    )
    .await;
    click(&client, "form[action$='/reintentar'] button[type=submit]").await;
    let delivered = eventually(Duration::from_secs(20), || async {
        tickets.tickets().await.iter().any(|t| t["numero"] == numero.as_str())
    })
    .await;
    assert!(delivered, "the retried order reached Tickets");
    client.goto(&format!("{shop}/admin/envios")).await.unwrap();
    assert!(!page_text(&client).await.contains(&numero), "no longer parked");

    client.close().await.unwrap();
    ahorro.stop().await;
    tickets.stop().await;
}
