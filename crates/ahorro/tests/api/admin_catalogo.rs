//! The catalogue's back office through real HTTP, on both backends: a
//! staff member (the `ADMIN_EMAIL` admin) changes a price and the shop
//! shows it at once; a bulk +8 % on one store is previewed (nothing
//! changes) and then applied; every change is in the history; a CSV with
//! bad lines is refused whole naming each, then a good one is applied;
//! stock 0 cannot be bought; offers open their products; a customer gets
//! 403 and a call without `X-CSRF-Token` 403, changing nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");

async fn start(db: &TestDb) -> TestApp {
    // Tickets is never reached in these tests: a closed port.
    TestApp::start(settings(db, "http://127.0.0.1:9", &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1)])).await
}

async fn csv_post(b: &Browser, path: &str, body: &str, csrf: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", b.address))
        .header("Cookie", b.cookie.as_deref().unwrap_or(""))
        .header("X-CSRF-Token", csrf)
        .header("Content-Type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn producto(b: &Browser, id: i64) -> Value {
    let (status, body) = api(b, Method::GET, &format!("/api/admin/productos/{id}"), None, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_price_change_shows_in_the_shop_at_once_and_is_recorded(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;
    assert!(b.get("/producto/1").await.body.contains("$\u{a0}950"));

    let (status, body) =
        api(&b, Method::PATCH, "/api/admin/productos/1", Some(json!({"precio": "1.234,50"})), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["producto"]["precio"], 1234.5);
    assert!(b.get("/producto/1").await.body.contains("$\u{a0}1.234,50"), "the shop shows the new price at once");
    let detail = producto(&b, 1).await;
    let history = detail["historial_precios"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{detail}");
    assert_eq!(history[0]["precio_anterior"], 950.0);
    assert_eq!(history[0]["precio_nuevo"], 1234.5);
    assert_eq!(history[0]["quien"], ADMIN.0);
    assert_eq!(history[0]["origen"], "manual");

    // A bad value: 400 naming the field, nothing changed.
    for (patch, campo) in [
        (json!({"precio": "mil"}), "precio"),
        (json!({"precio": 0}), "precio"),
        (json!({"negocio": "no-existe"}), "negocio"),
        (json!({"stock": -1}), "stock"),
        (json!({"unidad": "docena"}), "unidad"),
        (json!({"precio_por_medida": 2000}), "medida"),
        (json!({"nombre": "   "}), "nombre"),
    ] {
        let (status, body) = api(&b, Method::PATCH, "/api/admin/productos/1", Some(patch.clone()), Some(&csrf)).await;
        assert_eq!(status, 400, "{patch} → {body}");
        assert_eq!(body["campo"], campo, "{patch} → {body}");
    }
    let after = producto(&b, 1).await;
    assert_eq!(after["producto"], detail["producto"], "nothing changed on a refusal");

    // The page: the history is shown, a bad price is refused beside its field.
    let page = b.get("/admin/productos/1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Historial de precios") && page.body.contains("$ 1.234,50"), "{}", page.body);
    let refused = b
        .post(
            "/admin/productos/1",
            &[
                ("csrf", &csrf),
                ("nombre", "Arroz 1kg"),
                ("precio", "caro"),
                ("unidad", "unidad"),
                ("negocio", "belgrano_ahorro"),
                ("categoria", "granos_cereales"),
                ("activo", "si"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("class=\"error\">Debe ser un importe en pesos"), "{}", refused.body);
    assert_eq!(producto(&b, 1).await["producto"]["precio"], 1234.5);

    // Created from the page, with a price per kg; found by the list's search.
    let created = b
        .post(
            "/admin/productos",
            &[
                ("csrf", &csrf),
                ("nombre", "Queso Tybo en horma"),
                ("precio", "8.900"),
                ("stock", "7"),
                ("unidad", "kg"),
                ("negocio", "belgrano_ahorro"),
                ("categoria", "granos_cereales"),
                ("activo", "si"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let (_, list) = api(&b, Method::GET, "/api/admin/productos?busqueda=tybo%20en%20horma", None, None).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["productos"][0]["unidad"], "kg");
    let id = list["productos"][0]["id"].as_i64().unwrap();
    assert!(b.get(&format!("/producto/{id}")).await.body.contains("$\u{a0}8.900"));
    app.stop().await;
}
on_both_backends!(a_price_change_shows_in_the_shop_at_once_and_is_recorded);

async fn a_bulk_raise_is_previewed_then_applied_to_one_store(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;
    let (_, before) = api(&b, Method::GET, "/api/admin/productos?pagina=1", None, None).await;
    let (_, all_before) = api(&b, Method::GET, "/api/admin/productos?negocio=belgrano_ahorro", None, None).await;
    let ajuste = json!({"porcentaje": 8, "negocio": "belgrano_ahorro", "redondeo": 10, "simular": true});

    let (status, preview) = api(&b, Method::POST, "/api/admin/precios/ajuste", Some(ajuste.clone()), Some(&csrf)).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["simulado"], true);
    let cambios = preview["cambios"].as_array().unwrap().clone();
    assert!(!cambios.is_empty());
    for c in &cambios {
        let (old, new) = (c["precio_anterior"].as_f64().unwrap(), c["precio_nuevo"].as_f64().unwrap());
        assert_eq!(new % 10.0, 0.0, "rounded to $ 10: {c}");
        assert!((new - old * 1.08).abs() <= 5.0, "+8 %: {c}");
    }
    let (_, unchanged) = api(&b, Method::GET, "/api/admin/productos?pagina=1", None, None).await;
    assert_eq!(unchanged, before, "a preview changes nothing");
    assert!(producto(&b, 1).await["historial_precios"].as_array().unwrap().is_empty());

    // The page shows the same preview and an "Aplicar" button.
    let page = b
        .post(
            "/admin/precios",
            &[
                ("csrf", &csrf),
                ("porcentaje", "8"),
                ("negocio", "belgrano_ahorro"),
                ("redondeo", "10"),
                ("accion", "simular"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Vista previa") && page.body.contains("value=\"aplicar\""), "{}", page.body);

    let (status, applied) = api(
        &b,
        Method::POST,
        "/api/admin/precios/ajuste",
        Some(json!({"porcentaje": "8", "negocio": "belgrano_ahorro", "redondeo": "10", "simular": false})),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["cambios"], Value::Array(cambios.clone()), "what was applied is what was previewed");
    let first = &cambios[0];
    let id = first["id"].as_i64().unwrap();
    let detail = producto(&b, id).await;
    assert_eq!(detail["producto"]["precio"], first["precio_nuevo"]);
    assert_eq!(detail["historial_precios"][0]["origen"], "ajuste");
    assert_eq!(detail["historial_precios"][0]["precio_anterior"], first["precio_anterior"]);
    let shop = b.get(&format!("/producto/{id}")).await.body;
    let shown = format!("$ {}", first["precio_nuevo"].as_f64().unwrap() as i64);
    assert!(shop.replace('.', "").replace('\u{a0}', " ").contains(&shown), "the shop shows {shown}");
    // Other stores' products are untouched.
    let (_, others) = api(&b, Method::GET, "/api/admin/productos?negocio=maxi_descuento", None, None).await;
    for p in others["productos"].as_array().unwrap() {
        let id = p["id"].as_i64().unwrap();
        assert!(producto(&b, id).await["historial_precios"].as_array().unwrap().is_empty(), "{p}");
    }
    assert_ne!(all_before, api(&b, Method::GET, "/api/admin/productos?negocio=belgrano_ahorro", None, None).await.1);

    // A bad request: 400 naming the field, nothing changed.
    for (body, campo) in [
        (json!({"porcentaje": "mucho", "negocio": "belgrano_ahorro"}), "porcentaje"),
        (json!({"porcentaje": 8}), "negocio"),
        (json!({"porcentaje": 8, "categoria": "nada"}), "categoria"),
        (json!({"porcentaje": 8, "negocio": "belgrano_ahorro", "redondeo": -1}), "redondeo"),
    ] {
        let (status, answer) =
            api(&b, Method::POST, "/api/admin/precios/ajuste", Some(body.clone()), Some(&csrf)).await;
        assert_eq!((status, answer["campo"].as_str()), (StatusCode::BAD_REQUEST, Some(campo)), "{body} → {answer}");
    }
    app.stop().await;
}
on_both_backends!(a_bulk_raise_is_previewed_then_applied_to_one_store);

async fn a_csv_with_bad_lines_is_refused_whole_then_a_good_one_applies(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;

    let export = reqwest::Client::new()
        .get(format!("{}/api/admin/productos.csv", app.address))
        .header("Cookie", b.cookie.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = export.text().await.unwrap();
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap().to_owned();
    assert!(header.starts_with("id;nombre;descripcion;precio;precio_original;stock"), "{header}");
    assert_eq!(text.lines().count(), 138, "a header and 137 products");

    let before = producto(&b, 1).await;
    let bad = format!(
        "{header}\n\
         1;Arroz 1kg;;1.500,50;;50;unidad;;;belgrano_ahorro;granos_cereales;;si;si\n\
         2;Fideos;;caro;;10;unidad;;;belgrano_ahorro;granos_cereales;;no;si\n\
         ;Nuevo;;100;;1;unidad;;;no_existe;granos_cereales;;no;si\n\
         999;Fantasma;;100;;1;unidad;;;belgrano_ahorro;granos_cereales;;no;si\n"
    );
    let (status, refused) = csv_post(&b, "/api/admin/productos.csv", &bad, &csrf).await;
    assert_eq!(status, 400, "{refused}");
    let errores = refused["errores"].as_array().unwrap();
    let lines: Vec<(i64, &str)> =
        errores.iter().map(|e| (e["linea"].as_i64().unwrap(), e["campo"].as_str().unwrap())).collect();
    assert_eq!(lines, vec![(3, "precio"), (4, "negocio"), (5, "id")], "{refused}");
    assert_eq!(producto(&b, 1).await, before, "line 2 was good but nothing changed");

    // A good file: comma separator, decimal point; one update, one new.
    let good = "id,nombre,precio,stock,negocio,categoria\n\
                1,Arroz largo fino 1kg,1500.50,40,belgrano_ahorro,granos_cereales\n\
                ,Yerba Mate 1kg,\"4.200,00\",12,belgrano_ahorro,granos_cereales\n";
    let (status, preview) = csv_post(&b, "/api/admin/productos.csv?simular=1", good, &csrf).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!((preview["actualizados"].as_i64(), preview["creados"].as_i64()), (Some(1), Some(1)));
    assert_eq!(producto(&b, 1).await, before, "a simulated import changes nothing");

    let (status, done) = csv_post(&b, "/api/admin/productos.csv", good, &csrf).await;
    assert_eq!(status, 200, "{done}");
    let new_id = done["ids_creados"][0].as_i64().unwrap();
    let arroz = producto(&b, 1).await;
    assert_eq!(arroz["producto"]["nombre"], "Arroz largo fino 1kg");
    assert_eq!(arroz["producto"]["precio"], 1500.5);
    assert_eq!(arroz["producto"]["stock"], 40);
    assert_eq!(arroz["producto"]["destacado"], before["producto"]["destacado"], "columns left out are kept");
    assert_eq!(arroz["historial_precios"][0]["origen"], "csv");
    assert!(b.get(&format!("/producto/{new_id}")).await.body.contains("$\u{a0}4.200"));

    // The import page: a refused upload lists every bad line.
    let boundary = "limite-de-prueba-1234";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"archivo\"; filename=\"productos.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{bad}\r\n--{boundary}--\r\n"
    );
    let page = reqwest::Client::new()
        .post(format!("{}/admin/productos/importar", app.address))
        .header("Cookie", b.cookie.as_deref().unwrap())
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    let page = page.text().await.unwrap();
    assert!(page.contains("Línea 3, precio") && page.contains("Línea 4, negocio"), "{page}");
    app.stop().await;
}
on_both_backends!(a_csv_with_bad_lines_is_refused_whole_then_a_good_one_applies);

async fn a_product_at_zero_stock_cannot_be_bought(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (b, csrf) = staff_login(&app, ADMIN).await;

    let (status, body) =
        api(&b, Method::POST, "/api/admin/productos/1/stock", Some(json!({"ajuste": -5})), Some(&csrf)).await;
    assert_eq!((status, body["stock"].as_i64()), (StatusCode::OK, Some(45)), "{body}");
    let (status, body) =
        api(&b, Method::POST, "/api/admin/productos/1/stock", Some(json!({"ajuste": -46})), Some(&csrf)).await;
    assert_eq!((status, body["campo"].as_str()), (StatusCode::BAD_REQUEST, Some("ajuste")), "{body}");
    let (status, body) =
        api(&b, Method::POST, "/api/admin/productos/1/stock", Some(json!({"stock": 0})), Some(&csrf)).await;
    assert_eq!((status, body["stock"].as_i64()), (StatusCode::OK, Some(0)), "{body}");

    let mut shopper = app.browser();
    let page = shopper.get("/producto/1").await;
    assert!(page.body.contains("Sin stock") && !page.body.contains("Agregar al carrito"), "{}", page.body);
    let added = shopper.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "1")]).await;
    assert_eq!(added.status, 400);
    assert!(added.body.contains("no tiene stock"), "{}", added.body);
    assert!(!shopper.get("/carrito").await.body.contains("Arroz 1kg"));
    let (low, _) = api(&b, Method::GET, "/api/admin/productos?stock_bajo=si", None, None).await;
    assert_eq!(low, 200);
    let (_, low) = api(&b, Method::GET, "/api/admin/productos?sin_stock=si", None, None).await;
    assert!(low["productos"].as_array().unwrap().iter().any(|p| p["id"] == 1), "{low}");
    app.stop().await;
}
on_both_backends!(a_product_at_zero_stock_cannot_be_bought);

async fn customers_get_403_and_calls_without_the_csrf_header_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let anonymous = app.browser();
    let (status, _) = api(&anonymous, Method::GET, "/api/admin/productos", None, None).await;
    assert_eq!(status, 401);

    let mut customer = app.browser();
    assert_eq!(customer.register("cliente@example.com", &[]).await.status, StatusCode::SEE_OTHER);
    let customer_csrf = customer.get("/carrito").await.csrf();
    for (method, path, body) in [
        (Method::GET, "/api/admin/productos", None),
        (Method::GET, "/api/admin/productos/1", None),
        (Method::PATCH, "/api/admin/productos/1", Some(json!({"precio": 1}))),
        (Method::POST, "/api/admin/productos", Some(json!({"nombre": "x"}))),
        (Method::POST, "/api/admin/productos/1/stock", Some(json!({"stock": 0}))),
        (Method::POST, "/api/admin/precios/ajuste", Some(json!({"porcentaje": 8, "negocio": "belgrano_ahorro"}))),
        (Method::GET, "/api/admin/productos.csv", None),
        (Method::GET, "/api/admin/ofertas", None),
        (Method::GET, "/api/admin/negocios", None),
    ] {
        let (status, _) = api(&customer, method.clone(), path, body, Some(&customer_csrf)).await;
        assert_eq!(status, 403, "{method} {path}");
    }
    for path in ["/admin/productos", "/admin/productos/1", "/admin/precios", "/admin/ofertas", "/admin/negocios"] {
        assert_eq!(customer.get(path).await.status, 403, "{path}");
    }

    let (b, csrf) = staff_login(&app, ADMIN).await;
    let before = producto(&b, 1).await;
    for csrf in [None, Some("0".repeat(64))] {
        let (status, body) =
            api(&b, Method::PATCH, "/api/admin/productos/1", Some(json!({"precio": 1})), csrf.as_deref()).await;
        assert_eq!((status, body["campo"].as_str()), (StatusCode::FORBIDDEN, Some("X-CSRF-Token")), "{body}");
        let (status, _) = api(
            &b,
            Method::POST,
            "/api/admin/precios/ajuste",
            Some(json!({"porcentaje": 50, "negocio": "belgrano_ahorro"})),
            csrf.as_deref(),
        )
        .await;
        assert_eq!(status, 403);
    }
    // A page form without its token is refused too.
    let mut page_b = b;
    let refused = page_b.post("/admin/productos/1/stock", &[("stock", "0")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(producto(&page_b, 1).await, before, "nothing changed");
    let _ = csrf;
    app.stop().await;
}
on_both_backends!(customers_get_403_and_calls_without_the_csrf_header_change_nothing);

async fn an_offer_opens_the_list_of_its_products(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;
    let body = json!({"titulo": "2x1 en arroz", "descuento": "2x1", "negocio": "belgrano_ahorro", "desde": "2026-01-01", "hasta": "2026-12-31", "productos": [1, 2]});
    let (status, created) = api(&b, Method::POST, "/api/admin/ofertas", Some(body), Some(&csrf)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["oferta"]["id"].as_str().unwrap().to_owned();
    let home = b.get("/").await.body;
    assert!(home.contains(&format!("href=\"/ofertas/{id}\"")), "the home page's card links to the offer");
    let page = b.get(&format!("/ofertas/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("2x1 en arroz") && page.body.contains("/producto/1") && page.body.contains("/producto/2")
    );
    assert!(!page.body.contains("/producto/3\""), "only its products");
    // Refused: a product that does not exist, dates backwards.
    let (status, body) = api(
        &b,
        Method::PATCH,
        &format!("/api/admin/ofertas/{id}"),
        Some(json!({"productos": [1, 99999]})),
        Some(&csrf),
    )
    .await;
    assert_eq!((status, body["campo"].as_str()), (StatusCode::BAD_REQUEST, Some("productos")));
    let (status, body) =
        api(&b, Method::PATCH, &format!("/api/admin/ofertas/{id}"), Some(json!({"hasta": "2025-01-01"})), Some(&csrf))
            .await;
    assert_eq!((status, body["campo"].as_str()), (StatusCode::BAD_REQUEST, Some("hasta")));
    let (status, _) = api(&b, Method::DELETE, &format!("/api/admin/ofertas/{id}"), None, Some(&csrf)).await;
    assert_eq!(status, 200);
    assert_eq!(b.get(&format!("/ofertas/{id}")).await.status, 404);

    // Stores and branches.
    let (status, body) = api(
        &b,
        Method::PATCH,
        "/api/admin/sucursales/sucursal_centro",
        Some(json!({"horarios": "Lun a Sáb 8 a 21"})),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        api(&b, Method::PATCH, "/api/admin/negocios/belgrano_ahorro", Some(json!({"color": "rojo"})), Some(&csrf))
            .await;
    assert_eq!((status, body["campo"].as_str()), (StatusCode::BAD_REQUEST, Some("color")));
    assert!(b.get("/negocio/belgrano_ahorro").await.body.contains("Lun a Sáb 8 a 21"));
    app.stop().await;
}
on_both_backends!(an_offer_opens_the_list_of_its_products);
