//! Delivery zones, windows and the checkout with them, through real HTTP:
//! the back office's settings (refused by field), the options a barrio
//! gets (places left go down after a checkout, a window past its cut-off
//! is closed), checkouts refused by field changing nothing (no stock
//! taken, no order), a flat address still accepted (priced at Belgrano),
//! the total with delivery and free delivery from the threshold, and a
//! window's last place taken once by concurrent checkouts (one and two
//! Ahorro instances), and windows filled in order by simultaneous ones.

use belgrano_platform::db::sql;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");

fn app_settings(db: &TestDb) -> belgrano_ahorro::Settings {
    // Tickets is never reached in these tests: a closed port.
    settings(
        db,
        "http://127.0.0.1:9",
        &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1), ("CHECKOUT_WAIT_MS", "0")],
    )
}

async fn start(db: &TestDb) -> TestApp {
    TestApp::start(app_settings(db)).await
}

async fn opciones(app: &TestApp, barrio: &str) -> (StatusCode, Value) {
    app.get_json(&format!("/api/entrega/opciones?{}", urlencode(&[("barrio", barrio)]))).await
}

/// The first window that can be chosen.
fn first_open(opciones: &Value) -> Value {
    opciones["franjas"].as_array().unwrap().iter().find(|f| f["disponible"] == true).expect("an open window").clone()
}

fn direccion(barrio: &str) -> Value {
    json!({"calle": "Av. Cabildo", "altura": 2040, "piso": "3 B", "entre_calles": "Juramento y Mendoza",
           "barrio": barrio, "codigo_postal": "C1428", "referencias": "timbre roto"})
}

/// A guest's structured checkout.
fn compra(items: &[(i64, i64)], barrio: &str, franja_id: Option<&str>) -> Value {
    let mut body = checkout_body(items);
    body["direccion"] = direccion(barrio);
    if let Some(id) = franja_id {
        body["franja_id"] = json!(id);
    }
    body
}

/// (stock of product 1, orders stored), to show a refusal changed nothing.
async fn state(b: &Browser) -> (i64, i64) {
    let (_, producto) = api(b, Method::GET, "/api/admin/productos/1", None, None).await;
    let (_, pedidos) = api(b, Method::GET, "/api/admin/pedidos", None, None).await;
    (producto["producto"]["stock"].as_i64().expect("stock"), pedidos["total"].as_i64().expect("total"))
}

/// Every window with `capacidad` and `corte_minutos`, the rest as stored.
async fn set_windows(b: &Browser, csrf: &str, capacidad: i64, corte: i64) {
    let (_, mut ajustes) = api(b, Method::GET, "/api/admin/entrega", None, None).await;
    for f in ajustes["franjas"].as_array_mut().unwrap() {
        f["capacidad"] = json!(capacidad);
        f["corte_minutos"] = json!(corte);
    }
    let (status, body) = api(b, Method::PUT, "/api/admin/entrega", Some(ajustes), Some(csrf)).await;
    assert_eq!(status, 200, "{body}");
}

async fn admin_settings_refused_by_field(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (b, csrf) = staff_login(&app, ADMIN).await;

    let (status, ajustes) = api(&b, Method::GET, "/api/admin/entrega", None, None).await;
    assert_eq!(status, 200, "{ajustes}");
    let barrios: Vec<&str> =
        ajustes["zonas"].as_array().unwrap().iter().map(|z| z["barrio"].as_str().unwrap()).collect();
    assert_eq!(barrios, ["Belgrano", "Núñez", "Colegiales", "Coghlan", "Saavedra", "Villa Urquiza", "Palermo"]);
    assert_eq!(ajustes["zonas"][0], json!({"barrio": "Belgrano", "costo_envio": 1500.0, "minimo": 8000.0}));
    assert_eq!(ajustes["franjas"].as_array().unwrap().len(), 28, "four windows a day");
    assert_eq!(ajustes["franjas"][0]["desde"], "09:00");
    assert_eq!(ajustes["franjas"][0]["capacidad"], 12);

    let refused = |field: &str, edit: &dyn Fn(&mut Value)| {
        let mut body = ajustes.clone();
        edit(&mut body);
        (field.to_owned(), body)
    };
    let cases = [
        refused("zonas[1].minimo", &|b| b["zonas"][1]["minimo"] = json!("mucho")),
        refused("zonas[0].costo_envio", &|b| b["zonas"][0]["costo_envio"] = json!(-1)),
        refused("zonas[2].barrio", &|b| b["zonas"][2]["barrio"] = json!("belgrano")),
        refused("zonas", &|b| b["zonas"] = json!([])),
        refused("franjas[0].hasta", &|b| b["franjas"][0]["hasta"] = json!("08:00")),
        refused("franjas[1].desde", &|b| b["franjas"][1]["desde"] = json!("25:00")),
        refused("franjas[3].dia", &|b| b["franjas"][3]["dia"] = json!(8)),
        refused("franjas[2].capacidad", &|b| b["franjas"][2]["capacidad"] = json!(-3)),
        refused("franjas[1].desde", &|b| b["franjas"][1]["desde"] = json!("10:00")),
        refused("franjas[0].id", &|b| b["franjas"][0]["id"] = json!(99_999)),
    ];
    for (field, body) in cases {
        let (status, answer) = api(&b, Method::PUT, "/api/admin/entrega", Some(body), Some(&csrf)).await;
        assert_eq!((status, answer["campo"].as_str()), (StatusCode::BAD_REQUEST, Some(field.as_str())), "{answer}");
    }
    // Without the page's token: 403, nothing changes.
    let (status, _) = api(&b, Method::PUT, "/api/admin/entrega", Some(ajustes.clone()), None).await;
    assert_eq!(status, 403);
    // A customer may not read them.
    let mut customer = app.browser();
    customer.register("cliente@example.com", &[]).await;
    let (status, _) = api(&customer, Method::GET, "/api/admin/entrega", None, None).await;
    assert_eq!(status, 403);
    let (_, unchanged) = api(&b, Method::GET, "/api/admin/entrega", None, None).await;
    assert_eq!(unchanged, ajustes, "refusals changed nothing");

    // A valid change: Belgrano costs more, one window fewer, one new one.
    let mut body = ajustes.clone();
    body["zonas"][0]["costo_envio"] = json!(2000);
    let franjas = body["franjas"].as_array_mut().unwrap();
    franjas.remove(0);
    franjas.push(json!({"dia": 1, "desde": "07:00", "hasta": "09:00", "capacidad": 3, "corte_minutos": 30}));
    let (status, saved) = api(&b, Method::PUT, "/api/admin/entrega", Some(body), Some(&csrf)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["zonas"][0]["costo_envio"], 2000.0);
    let franjas = saved["franjas"].as_array().unwrap();
    assert_eq!(franjas.len(), 28);
    assert!(franjas.iter().any(|f| f["desde"] == "07:00" && f["capacidad"] == 3 && f["envio_gratis_desde"].is_null()));
    assert!(!franjas.iter().any(|f| f["id"] == ajustes["franjas"][0]["id"]), "the one left out is gone");
    let (_, opciones) = opciones(&app, "belgrano").await;
    assert_eq!(opciones["costo_envio"], 2000.0);
    // The page shows them.
    let mut page_browser = b;
    let page = page_browser.get("/admin/entrega").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Villa Urquiza") && page.body.contains("$ 2.000"), "{}", page.body);
    app.stop().await;
}
on_both_backends!(admin_settings_refused_by_field);

async fn options_and_refusals_by_field(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (b, csrf) = staff_login(&app, ADMIN).await;

    let (status, belgrano) = opciones(&app, "Belgrano").await;
    assert_eq!(status, 200, "{belgrano}");
    assert_eq!((belgrano["costo_envio"].as_f64(), belgrano["minimo"].as_f64()), (Some(1500.0), Some(8000.0)));
    let franjas = belgrano["franjas"].as_array().unwrap();
    assert_eq!(franjas.len(), 28, "seven days of four windows");
    let ventana = first_open(&belgrano);
    assert_eq!(ventana["disponibles"], 12);
    let id = ventana["franja_id"].as_str().unwrap().to_owned();
    assert!(id.contains('@') && ventana["desde"].as_str().unwrap().ends_with("-03:00"), "{ventana}");
    let (status, nunez) = opciones(&app, "nuñez").await;
    assert_eq!((status, nunez["barrio"].as_str()), (StatusCode::OK, Some("Núñez")), "accents and case do not matter");
    let (status, unknown) = opciones(&app, "Avellaneda").await;
    assert_eq!(status, 404);
    assert!(unknown["error"].as_str().unwrap().contains("barrio"), "{unknown}");

    let before = state(&b).await;
    let refused = [
        // 9 × $ 950 = $ 8.550 passes Belgrano's minimum, not Palermo's $ 15.000.
        (compra(&[(1, 9)], "Palermo", Some(&id)), 400, "items"),
        (compra(&[(1, 2)], "Belgrano", Some(&id)), 400, "items"),
        (compra(&[(1, 9)], "Avellaneda", Some(&id)), 400, "direccion.barrio"),
        (compra(&[(1, 9)], "Belgrano", Some("nada")), 400, "franja_id"),
        (compra(&[(1, 9)], "Belgrano", Some("99999@2030-01-07")), 400, "franja_id"),
        (
            {
                let mut c = compra(&[(1, 9)], "Belgrano", Some(&id));
                c["paga_con"] = json!(10_000);
                c
            },
            400,
            "paga_con",
        ),
        (
            {
                let mut c = compra(&[(1, 9)], "Belgrano", Some(&id));
                c["direccion"]["calle"] = json!("");
                c
            },
            400,
            "direccion.calle",
        ),
    ];
    for (body, status, field) in refused {
        let (got, answer) = app.checkout(&body).await;
        assert_eq!((got.as_u16(), answer["campo"].as_str()), (status, Some(field)), "{answer}");
    }
    assert_eq!(state(&b).await, before, "no stock taken, no order");

    // Accepted: 9 × $ 950 + $ 1.500 of delivery, paying with $ 10.100.
    let mut ok = compra(&[(1, 9)], "Belgrano", Some(&id));
    ok["paga_con"] = json!("10100");
    let (status, answer) = app.checkout(&ok).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["pedido"]["total"], 8550.0 + 1500.0);
    let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
    assert_eq!(state(&b).await, (before.0 - 9, before.1 + 1));
    let (_, after) = opciones(&app, "Belgrano").await;
    let same = after["franjas"].as_array().unwrap().iter().find(|f| f["franja_id"] == id.as_str()).unwrap().clone();
    assert_eq!(same["disponibles"], 11, "one place taken");
    // The order page says it in words.
    let (_, pedidos) = api(&b, Method::GET, "/api/admin/pedidos", None, None).await;
    assert!(pedidos.to_string().contains(&numero));

    // Free delivery from $ 40.000: 23 × $ 1.800 = $ 41.400.
    let (status, answer) = app.checkout(&compra(&[(2, 23)], "Palermo", Some(&id))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["pedido"]["total"], 41_400.0);

    // A flat address (old clients): Belgrano's cost, no minimum, the earliest window.
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["pedido"]["total"], 950.0 + 1500.0);

    // A window past its cut-off is closed: with a week's cut-off, all are.
    set_windows(&b, &csrf, 12, 7 * 24 * 60).await;
    let (_, closed) = opciones(&app, "Belgrano").await;
    assert!(closed["franjas"].as_array().unwrap().iter().all(|f| f["cerrada"] == true && f["disponible"] == false));
    let before = state(&b).await;
    let (status, answer) = app.checkout(&compra(&[(1, 9)], "Belgrano", Some(&id))).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (409, Some("franja_id")), "{answer}");
    let (status, answer) = app.checkout(&checkout_body(&[(1, 1)])).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (409, Some("franja_id")), "{answer}");

    // A full window: capacity 2, two taken already.
    set_windows(&b, &csrf, 2, 0).await;
    let (status, answer) = app.checkout(&compra(&[(1, 9)], "Belgrano", Some(&id))).await;
    assert_eq!((status.as_u16(), answer["campo"].as_str()), (409, Some("franja_id")), "{answer}");
    assert_eq!(state(&b).await, before, "no stock taken, no order");
    let (_, full) = opciones(&app, "Belgrano").await;
    let same = full["franjas"].as_array().unwrap().iter().find(|f| f["franja_id"] == id.as_str()).unwrap().clone();
    assert_eq!((same["disponibles"].as_i64(), same["disponible"].as_bool()), (Some(0), Some(false)));
    app.stop().await;
}
on_both_backends!(options_and_refusals_by_field);

/// `n` checkouts at once for a window with one place left: exactly one
/// 200, the others 409 naming `franja_id`. `apps` take turns.
async fn race_for_the_last_place(apps: &[&TestApp], n: usize) {
    let (b, csrf) = staff_login(apps[0], ADMIN).await;
    set_windows(&b, &csrf, 1, 0).await;
    let (_, belgrano) = opciones(apps[0], "Belgrano").await;
    let id = first_open(&belgrano)["franja_id"].as_str().unwrap().to_owned();
    let before = state(&b).await;
    let body = compra(&[(1, 9)], "Belgrano", Some(&id));
    let attempts = futures_util::future::join_all((0..n).map(|i| apps[i % apps.len()].checkout(&body))).await;
    let ok = attempts.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{attempts:?}");
    for (status, answer) in attempts.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!((status.as_u16(), answer["campo"].as_str()), (409, Some("franja_id")), "{answer}");
    }
    assert_eq!(state(&b).await, (before.0 - 9, before.1 + 1), "one order, its stock only");
}

async fn concurrent_checkouts_never_overfill_a_window(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    race_for_the_last_place(&[&app], 8).await;
    app.stop().await;
}
on_both_backends!(concurrent_checkouts_never_overfill_a_window);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_never_overfill_a_window() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: not run");
        return;
    };
    let one = start(&db).await;
    let two = start(&db).await;
    race_for_the_last_place(&[&one, &two], 10).await;
    one.stop().await;
    two.stop().await;
}

/// PostgreSQL: a checkout that read a place left in its window, and finds
/// it taken when it comes to take it, lands in the next window, and the
/// order and the ticket say that window and what delivery costs there.
/// Another transaction holds the window's last place, uncommitted, until
/// the checkout waits for it (seen in `pg_stat_activity`), so the move
/// happens on every run, not only when a race falls that way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_filled_mid_checkout_moves_the_order_to_the_next_one() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: not run");
        return;
    };
    let app = start(&db).await;
    let (b, csrf) = staff_login(&app, ADMIN).await;
    set_windows(&b, &csrf, 2, 0).await;
    let (_, belgrano) = opciones(&app, "Belgrano").await;
    let open: Vec<&Value> =
        belgrano["franjas"].as_array().unwrap().iter().filter(|f| f["disponible"] == true).collect();
    let (first, second) = (open[0].clone(), open[1].clone());
    let franja = |w: &Value| w["franja_id"].as_str().unwrap().split('@').next().unwrap().parse::<i64>().unwrap();
    assert_ne!(franja(&first), franja(&second), "{belgrano}");
    // Free delivery from $ 5.000 in the second window only.
    let (_, mut ajustes) = api(&b, Method::GET, "/api/admin/entrega", None, None).await;
    for f in ajustes["franjas"].as_array_mut().unwrap() {
        f["envio_gratis_desde"] = if f["id"] == franja(&second) { json!(5000) } else { Value::Null };
    }
    let (status, body) = api(&b, Method::PUT, "/api/admin/entrega", Some(ajustes), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    let body = compra(&[(1, 9)], "Belgrano", None);
    let (status, answer) = app.checkout(&body).await;
    assert_eq!((status, &answer["pedido"]["total"]), (StatusCode::OK, &json!(8550.0 + 1500.0)), "{answer}");

    // Another checkout takes the first window's last place and has not
    // committed yet.
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    let fecha = first["franja_id"].as_str().unwrap().split('@').nth(1).unwrap().to_owned();
    let mut other = store.db().begin_write().await.unwrap();
    let taken = sql("UPDATE franja_cupos SET usados = 2 WHERE franja_id = $1 AND fecha = $2")
        .bind(franja(&first))
        .bind(&fecha)
        .execute(&mut other)
        .await
        .unwrap();
    assert_eq!(taken, 1);
    let checkout = tokio::spawn({
        let (client, url) = (reqwest::Client::new(), format!("{}/api/checkout", app.address));
        async move { client.post(url).json(&body).send().await.unwrap().json::<Value>().await.unwrap() }
    });
    let waits = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    let mut waiting = false;
    for _ in 0..200 {
        let (n,): (i64,) = sql(waits).fetch_one(store.db().read()).await.unwrap();
        if n > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(waiting, "the checkout waits for the window's last place");
    other.commit().await.unwrap();

    let answer = checkout.await.unwrap();
    assert_eq!(answer["pedido"]["total"], 8550.0, "delivery free in the second window: {answer}");
    let numero = answer["pedido"]["numero"].as_str().unwrap();
    let pedido = store.pedido(numero).await.unwrap().unwrap();
    let entrega = pedido.entrega.expect("a delivery window");
    let desde = |w: &Value| chrono::DateTime::parse_from_rfc3339(w["desde"].as_str().unwrap()).unwrap().to_utc();
    assert_eq!((entrega.desde, entrega.costo_envio.0), (desde(&second), 0), "the order is in the second window");
    let (payload,): (String,) =
        sql("SELECT payload FROM outbox WHERE numero = $1").bind(numero).fetch_one(store.db().read()).await.unwrap();
    let sent: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(desde(&sent["entrega"]["franja"]), desde(&second), "{sent}");
    assert_eq!((sent["total"].as_f64(), sent["entrega"]["costo_envio"].as_f64()), (Some(8550.0), Some(0.0)), "{sent}");
    store.db().close().await;
    let (_, after) = opciones(&app, "Belgrano").await;
    let left = |w: &Value| {
        after["franjas"].as_array().unwrap().iter().find(|f| f["franja_id"] == w["franja_id"]).unwrap()["disponibles"]
            .clone()
    };
    assert_eq!((left(&first), left(&second)), (json!(0), json!(1)), "{after}");
    app.stop().await;
}

/// One place per window and no window chosen: checkouts at once all go
/// through, each into the next window with room, in order. On PostgreSQL
/// the checkout reads where there is room and takes the place late, so one
/// that finds its window filled meanwhile moves on to the next inside its
/// transaction. More checkouts than the five tries a checkout gets: were a
/// lost window a retry, the last ones would be refused.
async fn simultaneous_checkouts_fill_the_windows_in_order(backend: Backend) {
    const N: usize = 12;
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (b, csrf) = staff_login(&app, ADMIN).await;
    set_windows(&b, &csrf, 1, 0).await;
    let (status, body) =
        api(&b, Method::POST, "/api/admin/productos/1/stock", Some(json!({"stock": 9 * N})), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    let before = state(&b).await;
    let body = compra(&[(1, 9)], "Belgrano", None);
    let attempts = futures_util::future::join_all((0..N).map(|_| app.checkout(&body))).await;
    assert!(attempts.iter().all(|(s, _)| *s == StatusCode::OK), "{attempts:?}");
    assert_eq!(state(&b).await, (before.0 - 9 * N as i64, before.1 + N as i64), "every order, its stock");
    // Each order in its own window, and an order moved on to the next one
    // tells Tickets the window it got, not the one it first read.
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    let mut windows = Vec::new();
    for (_, answer) in &attempts {
        let numero = answer["pedido"]["numero"].as_str().unwrap();
        let pedido = store.pedido(numero).await.unwrap().unwrap();
        let desde = pedido.entrega.expect("a delivery window").desde;
        let (payload,): (String,) = sql("SELECT payload FROM outbox WHERE numero = $1")
            .bind(numero)
            .fetch_one(store.db().read())
            .await
            .unwrap();
        let sent: Value = serde_json::from_str(&payload).unwrap();
        let sent_desde = chrono::DateTime::parse_from_rfc3339(sent["entrega"]["franja"]["desde"].as_str().unwrap());
        assert_eq!(sent_desde.unwrap().to_utc(), desde, "{numero}: {sent}");
        windows.push(desde);
    }
    store.db().close().await;
    windows.sort_unstable();
    windows.dedup();
    assert_eq!(windows.len(), N, "one order per window");
    let (_, belgrano) = opciones(&app, "Belgrano").await;
    let left: Vec<i64> = belgrano["franjas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["cerrada"] == false)
        .map(|f| f["disponibles"].as_i64().unwrap())
        .collect();
    assert!(left.len() > N, "{belgrano}");
    assert_eq!(left[..N], [0; N], "the first {N} open windows taken, one order each: {left:?}");
    assert!(left[N..].iter().all(|l| *l == 1), "the rest untouched: {left:?}");
    app.stop().await;
}
on_both_backends!(simultaneous_checkouts_fill_the_windows_in_order);

async fn saved_addresses_and_the_checkout_form(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (_, belgrano) = opciones(&app, "Belgrano").await;
    let ventana = first_open(&belgrano);
    let id = ventana["franja_id"].as_str().unwrap().to_owned();

    let mut ana = app.browser();
    ana.register("ana@example.com", &[]).await;
    // Saved from /perfil: one refused by field, one kept, one deleted.
    let bad =
        ana.post_csrf("/perfil/direcciones", &[("calle", "Juramento"), ("altura", ""), ("barrio", "Belgrano")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("La altura es obligatoria."), "{}", bad.body);
    let far =
        ana.post_csrf("/perfil/direcciones", &[("calle", "Mitre"), ("altura", "100"), ("barrio", "Avellaneda")]).await;
    assert!(far.body.contains("no hacemos envíos"), "{}", far.body);
    for calle in ["Juramento", "Mendoza"] {
        let page = ana
            .post_csrf(
                "/perfil/direcciones",
                &[("calle", calle), ("altura", "2100"), ("piso", "5 A"), ("barrio", "belgrano")],
            )
            .await;
        assert!(page.body.contains(&format!("{calle} 2100, piso 5 A, Belgrano")), "{}", page.body);
    }
    let perfil = ana.get("/perfil").await;
    let marker = "action=\"/perfil/direcciones/";
    let start = perfil.body.rfind(marker).unwrap() + marker.len();
    let last_id: String = perfil.body[start..].chars().take_while(char::is_ascii_digit).collect();
    let deleted = ana.post_csrf(&format!("/perfil/direcciones/{last_id}/borrar"), &[]).await;
    assert_eq!(deleted.status, 303);
    let perfil = ana.get("/perfil").await;
    assert!(perfil.body.contains("Juramento 2100") && !perfil.body.contains("Mendoza 2100"), "{}", perfil.body);
    let start = perfil.body.find(marker).unwrap() + marker.len();
    let kept: String = perfil.body[start..].chars().take_while(char::is_ascii_digit).collect();

    // The checkout offers it, the zones and the windows, and what is missing.
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    let cart = ana.get("/carrito").await;
    assert!(cart.body.contains("Te faltan $\u{a0}6.100 para el pedido mínimo"), "{}", cart.body);
    assert!(cart.body.contains("id=\"total-con-envio\">$\u{a0}3.400<"), "{}", cart.body);
    let form = ana.get("/checkout").await;
    assert!(form.body.contains("Juramento 2100, piso 5 A, Belgrano") && form.body.contains("Villa Urquiza"));
    assert!(form.body.contains(&format!("value=\"{id}\"")), "the window is offered");
    assert!(form.body.contains("Te faltan $\u{a0}6.100 para el pedido mínimo"), "{}", form.body);
    assert!(form.body.contains("Total $\u{a0}3.400"), "subtotal and envío: {}", form.body);
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "7")]).await;
    let fields = |direccion_id: &str| {
        vec![
            ("nombre", "Ana".to_owned()),
            ("apellido", "Gómez".to_owned()),
            ("email", "ana@example.com".to_owned()),
            ("direccion_id", direccion_id.to_owned()),
            ("franja_id", id.clone()),
            ("metodo_pago", "efectivo".to_owned()),
            ("paga_con", "10.100".to_owned()),
        ]
    };
    let form: Vec<(&str, String)> = fields(&kept);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = ana.post_csrf("/checkout", &form).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let pedido = ana.get(done.location.as_deref().unwrap()).await;
    assert!(pedido.body.contains(ventana["etiqueta"].as_str().unwrap()), "the window in words: {}", pedido.body);
    assert!(pedido.body.contains("Juramento 2100, piso 5 A, Belgrano"));
    assert!(pedido.body.contains("Efectivo, pagás con $\u{a0}10.100 (vuelto $\u{a0}50)"), "{}", pedido.body);
    assert!(pedido.body.contains("$\u{a0}1.500") && pedido.body.contains("Total $\u{a0}10.050"));
    assert!(!pedido.body.contains("Ticket #"));

    // A new address typed at checkout, kept when asked.
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "9")]).await;
    let done = ana
        .post_csrf(
            "/checkout",
            &[
                ("nombre", "Ana"),
                ("email", "ana@example.com"),
                ("calle", "Cuba"),
                ("altura", "2500"),
                ("barrio", "Núñez"),
                ("franja_id", &id),
                ("metodo_pago", "mercadopago"),
                ("guardar_direccion", "si"),
            ],
        )
        .await;
    assert_eq!(done.status, 400, "9 × $ 950 is under Núñez's $ 10.000");
    assert!(done.body.contains("mínimo"), "{}", done.body);
    ana.post_csrf("/carrito/agregar", &[("producto_id", "2"), ("cantidad", "1")]).await;
    let done = ana
        .post_csrf(
            "/checkout",
            &[
                ("nombre", "Ana"),
                ("email", "ana@example.com"),
                ("calle", "Cuba"),
                ("altura", "2500"),
                ("barrio", "Núñez"),
                ("franja_id", &id),
                ("metodo_pago", "mercadopago"),
                ("guardar_direccion", "si"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let pedido = ana.get(done.location.as_deref().unwrap()).await;
    assert!(pedido.body.contains("Mercado Pago") && !pedido.body.contains("mercadopago"), "{}", pedido.body);
    assert!(ana.get("/perfil").await.body.contains("Cuba 2500, Núñez"));
    app.stop().await;
}
on_both_backends!(saved_addresses_and_the_checkout_form);
