//! The public catalogue API (`/api/v1`), through real HTTP on both
//! backends: every answer as the OpenAPI document says; the whole active
//! catalogue listed once over the pages, by id; the filters (store,
//! category, accent-blind search, together); bounded paging; 400 naming
//! the parameter; 404 for a product that is not on sale; no stock figures;
//! ETags with 304, public caching without cookies, CORS; a staff change
//! shows at once with a new ETag.

use std::collections::HashSet;

use belgrano_ahorro::domain::catalogo::{Seed, fold};
use belgrano_ahorro::http::OPENAPI;
use belgrano_testkit::openapi::Spec;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    raw: String,
}

async fn get(app: &TestApp, path: &str, if_none_match: Option<&str>) -> Answer {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let raw = response.text().await.unwrap();
    Answer { status, headers, body: serde_json::from_str(&raw).unwrap_or(Value::Null), raw }
}

fn header<'a>(a: &'a Answer, name: &str) -> &'a str {
    a.headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// `path` answered `status` as documented for `template`.
async fn documented(app: &TestApp, spec: &Spec, path: &str, template: &str, status: u16) -> Answer {
    let a = get(app, path, None).await;
    assert_eq!(a.status.as_u16(), status, "{path}: {}", a.raw);
    spec.assert_response("get", template, status, &a.body);
    assert_eq!(header(&a, "access-control-allow-origin"), "*", "{path}");
    a
}

async fn the_public_catalogue(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app =
        TestApp::start(settings(&db, "http://127.0.0.1:9", &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1)]))
            .await;
    let spec = Spec::parse(OPENAPI).unwrap();
    let seed = Seed::bundled();
    let activos: Vec<_> = seed.productos.iter().filter(|p| p.activo).collect();

    let health = documented(&app, &spec, "/api/v1/health", "/api/v1/health", 200).await;
    assert_eq!((health.body["status"].as_str(), header(&health, "cache-control")), (Some("ok"), "no-store"));

    // The first page, by default 24.
    let first = documented(&app, &spec, "/api/v1/productos", "/api/v1/productos", 200).await;
    let total = activos.len() as i64;
    assert_eq!(first.body["total"], total);
    assert_eq!((first.body["pagina"].as_i64(), first.body["por_pagina"].as_i64()), (Some(1), Some(24)));
    assert_eq!(first.body["paginas"], (total + 23) / 24);
    assert_eq!(first.body["productos"].as_array().unwrap().len(), 24);
    let arroz = &first.body["productos"][0];
    assert_eq!(
        (&arroz["id"], &arroz["nombre"], &arroz["precio"], &arroz["precio_texto"], &arroz["precio_anterior"]),
        (&json!(1), &json!("Arroz 1kg"), &json!(950.0), &json!("$ 950"), &json!(1200.0))
    );
    assert_eq!(
        (&arroz["descuento"], &arroz["disponible"], &arroz["url"]),
        (&json!(21), &json!(true), &json!("/producto/1"))
    );
    assert_eq!((&arroz["negocio"], &arroz["negocio_nombre"]), (&json!("belgrano_ahorro"), &json!("Belgrano Ahorro")));
    assert!(arroz["imagen_url"].as_str().unwrap().starts_with('/'));
    assert!(arroz.get("stock").is_none(), "stock figures are not published");

    // Every page of 100: the active catalogue, once each, by id.
    let mut ids = Vec::new();
    for pagina in 1..=2 {
        let a = documented(
            &app,
            &spec,
            &format!("/api/v1/productos?por_pagina=100&pagina={pagina}"),
            "/api/v1/productos",
            200,
        )
        .await;
        assert_eq!(a.body["paginas"], (total + 99) / 100);
        ids.extend(a.body["productos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
    }
    let mut expected: Vec<i64> = activos.iter().map(|p| p.id).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let page = documented(&app, &spec, "/api/v1/productos?por_pagina=5&pagina=3", "/api/v1/productos", 200).await;
    let tercera: Vec<i64> =
        page.body["productos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(tercera, expected[10..15]);
    let lejos = documented(&app, &spec, "/api/v1/productos?pagina=10000", "/api/v1/productos", 200).await;
    assert_eq!((lejos.body["productos"].as_array().unwrap().len(), &lejos.body["total"]), (0, &json!(total)));

    // Filters, alone and together.
    let list = |a: &Answer| a.body["productos"].as_array().unwrap().clone();
    let maxi =
        documented(&app, &spec, "/api/v1/productos?negocio=maxi_descuento&por_pagina=100", "/api/v1/productos", 200)
            .await;
    let n = activos.iter().filter(|p| p.negocio_id == "maxi_descuento").count();
    assert_eq!((list(&maxi).len(), &maxi.body["total"]), (n, &json!(n)));
    assert!(list(&maxi).iter().all(|p| p["negocio"] == "maxi_descuento" && p["negocio_nombre"] == "Maxi Descuento"));
    let lacteos =
        documented(&app, &spec, "/api/v1/productos?categoria=lacteos&por_pagina=100", "/api/v1/productos", 200).await;
    assert_eq!(list(&lacteos).len(), activos.iter().filter(|p| p.categoria_id == "lacteos").count());
    assert!(list(&lacteos).iter().all(|p| p["categoria"] == "lacteos"));
    let azucar = documented(&app, &spec, "/api/v1/productos?busqueda=AZUCAR", "/api/v1/productos", 200).await;
    let azucar = list(&azucar);
    let nombres: HashSet<&str> = azucar.iter().map(|p| p["nombre"].as_str().unwrap()).collect();
    let esperados: HashSet<&str> =
        activos.iter().filter(|p| fold(&p.nombre).contains("azucar")).map(|p| p.nombre.as_str()).collect();
    assert!(nombres.contains("Azúcar 1kg"), "{nombres:?}");
    assert_eq!(nombres, esperados);
    let juntos = documented(
        &app,
        &spec,
        "/api/v1/productos?busqueda=azúcar&negocio=belgrano_ahorro&categoria=",
        "/api/v1/productos",
        200,
    )
    .await;
    let esperados =
        activos.iter().filter(|p| fold(&p.nombre).contains("azucar") && p.negocio_id == "belgrano_ahorro").count();
    assert_eq!(list(&juntos).len(), esperados);
    assert!(esperados > 0 && esperados < nombres.len(), "the store narrows the search");

    // Bad parameters: 400 naming them.
    let largo = format!("busqueda={}", "a".repeat(101));
    for (query, campo) in [
        ("pagina=0", "pagina"),
        ("pagina=dos", "pagina"),
        ("pagina=10001", "pagina"),
        ("por_pagina=0", "por_pagina"),
        ("por_pagina=101", "por_pagina"),
        ("negocio=no_existe", "negocio"),
        ("categoria=nada", "categoria"),
        (largo.as_str(), "busqueda"),
        ("busqueda=a%00b", "busqueda"),
    ] {
        let a = documented(&app, &spec, &format!("/api/v1/productos?{query}"), "/api/v1/productos", 400).await;
        assert_eq!(a.body["campo"], campo, "{query}: {}", a.raw);
    }

    // One product; an unknown one, or a bad id.
    let uno = documented(&app, &spec, "/api/v1/productos/1", "/api/v1/productos/{id}", 200).await;
    assert_eq!(uno.body["producto"], *arroz);
    documented(&app, &spec, "/api/v1/productos/999999", "/api/v1/productos/{id}", 404).await;
    let bad = documented(&app, &spec, "/api/v1/productos/uno", "/api/v1/productos/{id}", 400).await;
    assert_eq!(bad.body["campo"], "id");

    // Stores with their branches, categories with products.
    let negocios = documented(&app, &spec, "/api/v1/negocios", "/api/v1/negocios", 200).await;
    let negocios = negocios.body["negocios"].as_array().unwrap().clone();
    assert_eq!(negocios.len(), seed.negocios.len());
    assert_eq!(
        negocios.iter().map(|n| n["sucursales"].as_array().unwrap().len()).sum::<usize>(),
        seed.sucursales.len()
    );
    let categorias = documented(&app, &spec, "/api/v1/categorias", "/api/v1/categorias", 200).await;
    let en_uso: HashSet<&str> = activos.iter().map(|p| p.categoria_id.as_str()).collect();
    let listadas: HashSet<&str> =
        categorias.body["categorias"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listadas, en_uso);

    // Caching: a strong ETag, public for a minute, no cookie; 304 for the
    // same copy (weak comparison, lists), 200 for another.
    for path in
        ["/api/v1/productos?negocio=belgrano_ahorro", "/api/v1/productos/1", "/api/v1/negocios", "/api/v1/categorias"]
    {
        let a = get(&app, path, None).await;
        let etag = header(&a, "etag").to_owned();
        assert!(etag.starts_with('"') && etag.len() > 10, "{path}: {etag}");
        assert_eq!(header(&a, "cache-control"), "public, max-age=60", "{path}");
        assert!(a.headers.get("set-cookie").is_none(), "{path}: a public answer carries no cookie");
        assert_eq!(get(&app, path, None).await.headers["etag"], etag.as_str(), "{path}: the same body, the same tag");
        for tag in [etag.clone(), format!("W/{etag}"), format!("\"otro\", {etag}")] {
            let again = get(&app, path, Some(&tag)).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {tag}");
            assert!(again.raw.is_empty());
            assert_eq!(header(&again, "etag"), etag);
        }
        assert_eq!(get(&app, path, Some("\"otro\"")).await.status, 200);
    }

    // Staff change a product: the next answer says so, under a new tag.
    let before = get(&app, "/api/v1/productos/1", None).await;
    let tag = header(&before, "etag").to_owned();
    let (staff, csrf) = staff_login(&app, ADMIN).await;
    let (status, body) =
        api(&staff, Method::POST, "/api/admin/productos/1/stock", Some(json!({"stock": 0})), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    let after = get(&app, "/api/v1/productos/1", Some(&tag)).await;
    assert_eq!(after.status, 200, "the old copy is stale");
    assert_eq!(after.body["producto"]["disponible"], false);
    assert_ne!(header(&after, "etag"), tag);
    let (status, body) =
        api(&staff, Method::PATCH, "/api/admin/productos/1", Some(json!({"activo": false})), Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    documented(&app, &spec, "/api/v1/productos/1", "/api/v1/productos/{id}", 404).await;
    let sin = documented(&app, &spec, "/api/v1/productos", "/api/v1/productos", 200).await;
    assert_eq!(sin.body["total"], total - 1, "an inactive product is not listed");
    app.stop().await;
}
on_both_backends!(the_public_catalogue);
