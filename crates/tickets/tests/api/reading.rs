use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, order};
use crate::on_both_backends;

fn numeros(page: &Value) -> Vec<String> {
    page["tickets"].as_array().unwrap().iter().map(|t| t["numero"].as_str().unwrap().to_owned()).collect()
}

on_both_backends!(lists_newest_first_with_filters_and_paging, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    for n in 1..=5 {
        let mut body = order(&format!("PED-LIST-{n}"));
        if n == 3 {
            body["cliente_nombre"] = json!("María Gómez");
            body["cliente_direccion"] = json!("Juramento 2020");
        }
        assert_eq!(app.post_ticket(&body).await.0, StatusCode::OK);
    }

    let (status, page) = app.get("/api/tickets").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numeros(&page), ["PED-LIST-5", "PED-LIST-4", "PED-LIST-3", "PED-LIST-2", "PED-LIST-1"]);
    let first = &page["tickets"][0];
    for field in [
        "id",
        "numero",
        "cliente_nombre",
        "cliente_direccion",
        "cliente_telefono",
        "cliente_email",
        "productos",
        "total",
        "metodo_pago",
        "estado",
        "prioridad",
        "indicaciones",
        "tipo_cliente",
        "repartidor",
        "repartidor_id",
        "fecha_creacion",
        "fecha_asignacion",
        "fecha_entrega",
        "notas_repartidor",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }

    // Free text over numero, cliente and dirección.
    assert_eq!(numeros(&app.get("/api/tickets?q=gómez").await.1), ["PED-LIST-3"]);
    assert_eq!(numeros(&app.get("/api/tickets?q=juramento").await.1), ["PED-LIST-3"]);
    assert_eq!(numeros(&app.get("/api/tickets?q=LIST-4").await.1), ["PED-LIST-4"]);
    // State and courier.
    assert_eq!(numeros(&app.get("/api/tickets?estado=pendiente").await.1).len(), 5);
    assert!(numeros(&app.get("/api/tickets?estado=entregado").await.1).is_empty());
    let courier = first["repartidor"].as_str().unwrap();
    let by_name = app.get(&format!("/api/tickets?repartidor={courier}")).await.1;
    assert!(by_name["tickets"].as_array().unwrap().iter().all(|t| t["repartidor"] == courier));
    let by_id = app.get(&format!("/api/tickets?repartidor={}", first["repartidor_id"])).await.1;
    assert_eq!(numeros(&by_id), numeros(&by_name));
    assert!(!numeros(&by_id).is_empty());
    // Dates.
    let today = chrono::Utc::now().date_naive();
    assert_eq!(numeros(&app.get(&format!("/api/tickets?desde={today}&hasta={today}")).await.1).len(), 5);
    let tomorrow = today.succ_opt().unwrap();
    assert!(numeros(&app.get(&format!("/api/tickets?desde={tomorrow}")).await.1).is_empty());
    // Paging: offset, and a cursor that continues where the page ended.
    let page = app.get("/api/tickets?limit=2").await.1;
    assert_eq!(numeros(&page), ["PED-LIST-5", "PED-LIST-4"]);
    let cursor = page["next_cursor"].as_i64().unwrap();
    assert_eq!(
        numeros(&app.get(&format!("/api/tickets?limit=2&cursor={cursor}")).await.1),
        ["PED-LIST-3", "PED-LIST-2"]
    );
    assert_eq!(numeros(&app.get("/api/tickets?limit=2&offset=4").await.1), ["PED-LIST-1"]);
    assert_eq!(app.get("/api/tickets?limit=10").await.1["next_cursor"], Value::Null);

    // Bad filters name the parameter.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("estado=perdido", "estado"),
        ("desde=ayer", "desde"),
        ("offset=-1", "offset"),
    ] {
        let (status, body) = app.get(&format!("/api/tickets?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["campo"], field);
    }
    app.stop().await;
});

on_both_backends!(one_ticket_by_id, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (_, created) = app.post_ticket(&order("PED-ONE")).await;
    let (status, ticket) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ticket["numero"], "PED-ONE");
    assert_eq!(app.get("/api/tickets/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/tickets/abc").await.0, StatusCode::NOT_FOUND);
    let anonymous = app.client.get(format!("{}/api/tickets", app.address)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
});
