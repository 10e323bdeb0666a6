//! Shopping the catalogue through real HTTP, on both backends: the search
//! tolerates typos ("asucar", "yerva"), ranks exact matches first and
//! suggests something when nothing matches; listings sort by price,
//! discount and name and filter by store with counts; the product page
//! has its breadcrumb, price per kg or litre, description and related
//! products; bad parameters never fail a page; pages stay under 100 KB.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");
const MAX_HTML: usize = 100_000;

async fn start(db: &TestDb) -> TestApp {
    // Tickets is never reached here: a closed port.
    TestApp::start(settings(db, "http://127.0.0.1:9", &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1)])).await
}

/// The bundled catalogue's products (what a fresh database holds).
fn seed() -> Vec<Value> {
    let catalogo: Value = serde_json::from_str(include_str!("../../catalogo.json")).unwrap();
    catalogo["productos"].as_array().unwrap().clone()
}

fn seeded(id: i64) -> Value {
    seed().into_iter().find(|p| p["id"] == id).unwrap()
}

/// The products a listing shows, in order (each card links its product
/// twice: kept once).
fn ids(html: &str) -> Vec<i64> {
    let grid = html.split("class=\"grid\"").nth(1).unwrap_or("");
    let mut out: Vec<i64> = Vec::new();
    for part in grid.split("href=\"/producto/").skip(1) {
        let id: i64 = part.split('"').next().unwrap().parse().unwrap();
        if out.last() != Some(&id) {
            out.push(id);
        }
    }
    out
}

fn precio(id: i64) -> f64 {
    seeded(id)["precio"].as_f64().unwrap()
}

/// The whole percentage its badge shows ("-11%").
fn descuento(id: i64) -> i64 {
    let p = seeded(id);
    match p["precio_original"].as_f64() {
        Some(o) if o > p["precio"].as_f64().unwrap() => {
            ((o - p["precio"].as_f64().unwrap()) * 100.0 / o).round() as i64
        }
        _ => 0,
    }
}

/// The name as the shop sorts it: lower case, without accents.
fn nombre(id: i64) -> String {
    let plain = |c: char| match c {
        'á' => 'a',
        'é' => 'e',
        'í' => 'i',
        'ó' => 'o',
        'ú' => 'u',
        'ñ' => 'n',
        c => c,
    };
    seeded(id)["nombre"].as_str().unwrap().to_lowercase().chars().map(plain).collect()
}

/// A listing's first two pages: the first's HTML and both pages' products.
async fn both(b: &mut Browser, query: &str) -> (String, Vec<i64>) {
    let first = format!("/categoria/lacteos?{query}");
    let one = b.get(&first).await;
    assert_eq!(one.status, 200, "{first}");
    let mut all = ids(&one.body);
    all.extend(ids(&b.get(&format!("{first}&pagina=2")).await.body));
    (one.body, all)
}

async fn search_tolerates_typos_ranks_and_suggests(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let mut b = app.browser();

    for (typed, found) in [("asucar", vec![4, 28]), ("yerva", vec![13, 103]), ("AZÚCAR", vec![4, 28])] {
        let page = b.get(&format!("/?busqueda={}", urlencode_one(typed))).await;
        assert_eq!(page.status, 200, "{typed}");
        assert_eq!(ids(&page.body), found, "{typed}");
        assert!(page.body.contains(&format!("value=\"{typed}\"")), "the search box keeps what was typed");
    }
    let page = b.get("/?busqueda=asucar").await;
    assert!(page.body.contains("Azúcar 1kg") && page.body.contains("Azúcar Rubia 1kg"));
    assert!(!page.body.contains("¿Quisiste decir"), "it found something: no suggestion");

    // Names that begin with the word first, then other exact matches
    // ("Dulce de Leche"), typos last.
    let leche = ids(&b.get("/?busqueda=leche").await.body);
    let pos = |id: i64| leche.iter().position(|x| *x == id).unwrap_or_else(|| panic!("{id} in {leche:?}"));
    assert!(pos(5) < pos(17) && pos(118) < pos(17), "Leche Entera before Dulce de Leche: {leche:?}");
    let galletas = ids(&b.get("/?busqueda=galletitas%20de%20agua").await.body);
    assert_eq!(galletas.first(), Some(&39));
    let typo = ids(&b.get("/?busqueda=galletas").await.body);
    assert!(typo.contains(&15) && typo.contains(&39) && typo.contains(&104), "{typo:?}");

    // Nothing matches: a suggestion when a word is close, else somewhere to go.
    let nada = b.get("/?busqueda=dtrgnte").await;
    assert_eq!(nada.status, 200);
    assert!(nada.body.contains("No encontramos productos para «dtrgnte»"), "{}", nada.body);
    assert!(nada.body.contains("¿Quisiste decir <a href=\"/?busqueda=detergente\">detergente</a>?"), "{}", nada.body);
    let sugerida = b.get("/?busqueda=detergente").await;
    assert_eq!(ids(&sugerida.body), [128], "the suggestion finds it");
    let zzzz = b.get("/?busqueda=zzzz").await;
    assert_eq!(zzzz.status, 200);
    assert!(zzzz.body.contains("No encontramos productos") && !zzzz.body.contains("¿Quisiste decir"));
    assert!(zzzz.body.contains("href=\"/categoria/lacteos\""), "categories to go on with");

    // A product the back office renames is found by its new name at once.
    let (admin, csrf) = staff_login(&app, ADMIN).await;
    let body = json!({"nombre": "Kombucha de Jengibre 500ml"});
    let (status, renamed) = api(&admin, Method::PATCH, "/api/admin/productos/107", Some(body), Some(&csrf)).await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(ids(&b.get("/?busqueda=conbucha%20jenjibre").await.body), [107]);
    assert!(!ids(&b.get("/?busqueda=jugo%20de%20naranja").await.body).contains(&107), "nor by its old one");
    app.stop().await;
}
on_both_backends!(search_tolerates_typos_ranks_and_suggests);

async fn listings_sort_and_filter_by_store(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let mut b = app.browser();
    let lacteos: Vec<i64> =
        seed().iter().filter(|p| p["categoria"] == "lacteos").map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(lacteos.len(), 30);

    // Two pages, each order holding across them.
    let (body, by_price) = both(&mut b, "orden=precio").await;
    assert_eq!(by_price.len(), 30);
    assert!(by_price.windows(2).all(|w| precio(w[0]) <= precio(w[1])), "{by_price:?}");
    assert!(body.contains("<option value=\"precio\" selected>Menor precio</option>"));
    let pager = body.split("class=\"pager\"").nth(1).unwrap_or_default();
    assert!(
        pager.contains("href=\"/categoria/lacteos?orden=precio&#38;pagina=2\""),
        "the pager keeps the order: {pager}"
    );
    let (_, dearest) = both(&mut b, "orden=precio_desc").await;
    assert!(dearest.windows(2).all(|w| precio(w[0]) >= precio(w[1])), "{dearest:?}");
    let (_, by_discount) = both(&mut b, "orden=descuento").await;
    assert!(by_discount.windows(2).all(|w| descuento(w[0]) >= descuento(w[1])), "{by_discount:?}");
    assert!(descuento(by_discount[0]) > 10);
    let (_, by_name) = both(&mut b, "orden=nombre").await;
    assert!(by_name.windows(2).all(|w| nombre(w[0]) <= nombre(w[1])), "{by_name:?}");
    let (_, default) = both(&mut b, "").await;
    assert_eq!(default, lacteos, "the catalogue's order by default");
    for bad in ["orden=barato", "orden=", "orden=%27%3B%20DROP%20TABLE%20productos", "negocio=nada", "pagina=-3"] {
        let (_, listed) = both(&mut b, bad).await;
        assert_eq!(listed, lacteos, "{bad} lists as the default");
    }

    // The store filter: one store's products, counts for each, the order kept.
    let count = |negocio: &str| lacteos.iter().filter(|id| seeded(**id)["negocio"] == negocio).count();
    let all = b.get("/categoria/lacteos").await.body;
    assert!(all.contains("aria-label=\"Filtrar por negocio\""));
    assert!(all.contains(&format!("Maxi Descuento ({})", count("maxi_descuento"))), "{all}");
    assert!(all.contains("aria-current=\"true\">Todos (30)"));
    let maxi = b.get("/categoria/lacteos?negocio=maxi_descuento&orden=precio").await.body;
    let only = ids(&maxi);
    assert_eq!(only.len(), count("maxi_descuento"));
    assert!(only.iter().all(|id| seeded(*id)["negocio"] == "maxi_descuento"));
    assert!(only.windows(2).all(|w| precio(w[0]) <= precio(w[1])));
    assert!(maxi.contains(&format!("aria-current=\"true\">Maxi Descuento ({})", count("maxi_descuento"))));
    assert!(maxi.contains("<input type=\"hidden\" name=\"negocio\" value=\"maxi_descuento\">"), "sorting keeps it");
    assert!(maxi.contains("href=\"/categoria/lacteos?orden=precio\""), "«Todos» keeps the order");

    // On searches too.
    let leche = b.get("/?busqueda=leche&negocio=super_mercado&orden=precio_desc").await.body;
    let found = ids(&leche);
    assert!(!found.is_empty() && found.iter().all(|id| seeded(*id)["negocio"] == "super_mercado"), "{found:?}");
    assert!(found.windows(2).all(|w| precio(w[0]) >= precio(w[1])));
    assert!(leche.contains("href=\"/?busqueda=leche&#38;negocio=maxi_descuento&#38;orden=precio_desc\""));

    // A store's own page sorts (no store filter there).
    let store = b.get("/negocio/super_mercado?orden=nombre").await.body;
    let names = ids(&store);
    assert!(names.windows(2).all(|w| nombre(w[0]) <= nombre(w[1])), "{names:?}");
    assert!(names.iter().all(|id| seeded(*id)["negocio"] == "super_mercado"));
    assert!(!store.contains("Filtrar por negocio"));
    app.stop().await;
}
on_both_backends!(listings_sort_and_filter_by_store);

async fn product_page_shows_the_way_back_unit_price_and_related(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let mut b = app.browser();

    let page = b.get("/producto/2").await;
    assert_eq!(page.status, 200);
    let html = &page.body;
    let ruta = html.split("<nav class=\"ruta\" aria-label=\"Ruta\">").nth(1).expect("a breadcrumb");
    let ruta = ruta.split("</nav>").next().unwrap();
    assert!(
        ruta.contains("<a href=\"/\">Inicio</a>")
            && ruta.contains("<a href=\"/categoria/condimentos\">Condimentos</a>")
    );
    assert!(ruta.contains("<span aria-current=\"page\">Aceite 900ml</span>"), "{ruta}");
    assert!(html.contains("$\u{a0}1.800"), "the price, its sign and amount kept together");
    assert!(html.contains("$\u{a0}2.000 el litro"), "price per litre from its 900 ml");
    assert!(html.contains(seeded(2)["descripcion"].as_str().unwrap()), "its description");
    assert!(html.contains("-18%") && html.contains("href=\"/ofertas/oferta_1\""), "its discount and offer");
    assert!(html.contains("45 disponibles"));
    let related = html.split("También te puede interesar").nth(1).expect("related products");
    let rel = ids(related);
    assert_eq!(rel.len(), 4, "{rel:?}");
    assert!(!rel.contains(&2), "not itself");
    assert!(rel.iter().all(|id| seeded(*id)["categoria"] == "condimentos"), "{rel:?}");
    assert!(rel.iter().take(2).all(|id| seeded(*id)["nombre"].as_str().unwrap().starts_with("Aceite")), "{rel:?}");

    // Weighed products' per-kg price; out of stock shown and put last.
    assert!(b.get("/producto/8").await.body.contains("$\u{a0}4.200 el kg"), "Queso Cremoso 500g");
    assert!(!b.get("/producto/7").await.body.contains(" el kg"), "Huevos x12 state no weight");
    let (admin, csrf) = staff_login(&app, ADMIN).await;
    let (status, body) =
        api(&admin, Method::PATCH, "/api/admin/productos/67", Some(json!({"stock": 0})), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    let sin_stock = b.get("/producto/67").await.body;
    let own = sin_stock.split("También te puede interesar").next().unwrap();
    assert!(own.contains("Sin stock") && !own.contains("action=\"/carrito/agregar\""), "nothing to add");
    let rel = ids(b.get("/producto/2").await.body.split("También te puede interesar").nth(1).unwrap());
    assert!(!rel.contains(&67), "in stock first: {rel:?}");
    app.stop().await;
}
on_both_backends!(product_page_shows_the_way_back_unit_price_and_related);

/// The shop's pages read the catalogue from memory (the shop window): every
/// committed change drops it, so a checkout's stock and a store's new name
/// show on the very next page.
async fn the_shop_window_shows_a_checkout_and_an_edit_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let mut b = app.browser();
    let stock = seeded(5)["stock"].as_i64().unwrap();
    assert!(b.get("/producto/5").await.body.contains(&format!("{stock} disponibles")), "as seeded");
    let (status, answer) = app.checkout(&checkout_body(&[(5, 2)])).await;
    assert_eq!(status, 200, "{answer}");
    let page = b.get("/producto/5").await.body;
    assert!(page.contains(&format!("{} disponibles", stock - 2)), "the checkout's stock, at once");

    let (admin, csrf) = staff_login(&app, ADMIN).await;
    assert!(!b.get("/").await.body.contains("Almacén Nuevo Nombre"));
    let (status, body) = api(
        &admin,
        Method::PATCH,
        "/api/admin/negocios/belgrano_ahorro",
        Some(json!({"nombre": "Almacén Nuevo Nombre"})),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(b.get("/").await.body.contains("Almacén Nuevo Nombre"), "the store's new name, at once");
    app.stop().await;
}
on_both_backends!(the_shop_window_shows_a_checkout_and_an_edit_at_once);

async fn pages_stay_small_and_never_fail_on_odd_input(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let mut b = app.browser();
    let long = "a".repeat(500);
    let odd = [
        "/".to_owned(),
        "/?busqueda=a".to_owned(),
        "/?busqueda=e&orden=descuento&pagina=2".to_owned(),
        "/categoria/lacteos".to_owned(),
        "/negocio/super_mercado".to_owned(),
        "/producto/2".to_owned(),
        "/ofertas/oferta_1".to_owned(),
        format!("/?busqueda={long}"),
        "/?busqueda=%25%25_%5C".to_owned(),
        "/?busqueda=%27%3B%20DROP%20TABLE%20productos%3B--".to_owned(),
        "/?busqueda=de%20la%20y".to_owned(),
        "/?busqueda=%F0%9F%8D%8E".to_owned(),
        "/?busqueda=leche&negocio[]=x&orden[]=y&pagina=99999999999999999999".to_owned(),
        "/categoria/lacteos?negocio=&orden=nombre&pagina=0".to_owned(),
    ];
    for path in &odd {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.len() < MAX_HTML, "{path} is {} bytes", page.body.len());
    }
    app.stop().await;
}
on_both_backends!(pages_stay_small_and_never_fail_on_odd_input);

/// One value for a query string.
fn urlencode_one(value: &str) -> String {
    urlencode(&[("x", value)]).trim_start_matches("x=").to_owned()
}
