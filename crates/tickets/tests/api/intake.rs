use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, TestDb, order};
use crate::on_both_backends;

const STEP_5_FIELDS: [&str; 8] =
    ["exito", "ticket_id", "numero", "estado", "repartidor_asignado", "fecha_creacion", "cliente_nombre", "total"];

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

on_both_backends!(a_new_ticket_answers_200_with_the_seed_fields, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (status, body) = app.post_ticket(&order("PED-20241201123456")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut expected: Vec<String> = STEP_5_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(keys(&body), expected);
    assert_eq!(body["exito"], true);
    assert_eq!(body["numero"], "PED-20241201123456");
    assert_eq!(body["estado"], "pendiente");
    assert_eq!(body["cliente_nombre"], "Juan Pérez");
    assert_eq!(body["total"], 3700.0);
    assert!(body["repartidor_asignado"].as_str().unwrap().starts_with("Repartidor"));
    let fecha = body["fecha_creacion"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(fecha).is_ok(), "{fecha}");

    let (status, stored) = app.get(&format!("/api/tickets/{}", body["ticket_id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["cliente_direccion"], "Av. Cabildo 1234, Belgrano");
    assert_eq!(stored["productos"][0]["sucursal"], "sucursal_centro", "extra product keys are kept");
    assert_eq!(stored["productos"][1]["cantidad"], 1);
    assert_eq!(stored["metodo_pago"], "efectivo");
    assert_eq!(stored["indicaciones"], "Timbre 3B");
    assert_eq!(stored["repartidor"], body["repartidor_asignado"]);
    app.stop().await;
});

on_both_backends!(the_legacy_alias_behaves_the_same, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let response = app
        .client
        .post(format!("{}/api/tickets/recibir", app.address))
        .header("X-API-Key", API_KEY)
        .json(&order("PED-LEGACY-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first: Value = response.json().await.unwrap();
    // The alias shares the idempotency of the main endpoint.
    let (status, again) = app.post_ticket(&order("PED-LEGACY-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["ticket_id"], first["ticket_id"]);
    assert_eq!(again["idempotent"], true);
    app.stop().await;
});

on_both_backends!(accepts_what_real_clients_send, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    // Products as plain strings, extra top-level fields.
    let (status, body) = app
        .post_ticket(&json!({
            "numero": "PED-STR-1", "cliente_nombre": "Ana", "total": 500,
            "productos": ["Producto A x2", "Pan"],
            "fecha_creacion": "2024-12-01T12:34:56", "origen": "belgrano_ahorro"
        }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, stored) = app.get(&format!("/api/tickets/{}", body["ticket_id"])).await;
    assert_eq!(stored["productos"], json!([{"nombre": "Producto A", "cantidad": 2}, {"nombre": "Pan", "cantidad": 1}]));
    // The minimal body.
    let (status, body) = app.post_ticket(&json!({"numero": "PED-MIN", "cliente_nombre": "Ana", "total": 0})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
});

on_both_backends!(merchants_get_priority_alta, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut body = order("PED-COM-1");
    body["tipo_cliente"] = json!("comerciante");
    let (status, created) = app.post_ticket(&body).await;
    assert_eq!(status, StatusCode::OK);
    let (_, stored) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
    assert_eq!(stored["prioridad"], "alta");
    assert_eq!(stored["tipo_cliente"], "comerciante");
    app.stop().await;
});

on_both_backends!(wrong_or_missing_keys_get_401, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    for key in [None, Some("belgrano_ahorro_api_key_2025"), Some(""), Some("test-api-ke")] {
        let mut request = app.client.post(format!("{}/api/tickets", app.address)).json(&order("PED-AUTH"));
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"error": "API key inválida"}));
    }
    // The second key of a rotation works too.
    let response = app
        .client
        .post(format!("{}/api/tickets", app.address))
        .header("X-API-Key", crate::helpers::SECOND_KEY)
        .json(&order("PED-AUTH"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.all_tickets().await.len(), 1);
    app.stop().await;
});

on_both_backends!(bad_input_is_refused_naming_the_field_and_stores_nothing, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let with = |field: &str, value: Value| {
        let mut body = order("PED-BAD-1");
        body[field] = value;
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"cliente_nombre": "A", "total": 1}), "numero"),
        (json!({"numero": "PED-BAD-1", "total": 1}), "cliente_nombre"),
        (json!({"numero": "PED-BAD-1", "cliente_nombre": "A"}), "total"),
        (with("total", json!(-5)), "total"),
        (with("total", json!("cien")), "total"),
        (with("estado", json!("perdido")), "estado"),
        (with("prioridad", json!("urgentisima")), "prioridad"),
        (with("metodo_pago", json!("cripto")), "metodo_pago"),
        (with("numero", json!("P".repeat(65))), "numero"),
        (with("numero", json!("PED 1; DROP TABLE tickets")), "numero"),
        (with("numero", json!(12345)), "numero"),
        (with("productos", json!([{"nombre": "Pan", "cantidad": -1}])), "productos[0].cantidad"),
        (with("productos", json!({"nombre": "Pan"})), "productos"),
        (json!("just a string"), "body"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post_ticket(&body).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{status} for {body}");
        assert_eq!(answer["campo"], field, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(field), "{answer}");
    }

    let raw = |content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(format!("{}/api/tickets", app.address))
            .header("X-API-Key", API_KEY)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let malformed = raw("application/json", b"{\"numero\": ".to_vec()).await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let form = raw("application/x-www-form-urlencoded", b"numero=1".to_vec()).await.unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut huge = order("PED-HUGE");
    huge["indicaciones"] = json!("x".repeat(1024 * 1024 + 10));
    let too_large = raw("application/json", serde_json::to_vec(&huge).unwrap()).await.unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_large.json::<Value>().await.unwrap()["error"].is_string());

    assert!(app.all_tickets().await.is_empty(), "bad input stored nothing");
    app.stop().await;
});

on_both_backends!(keeps_and_returns_entrega_and_cobro, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut body = order("PED-ENTREGA-1");
    let entrega = json!({"barrio": "Belgrano", "costo_envio": 1500.0,
        "franja": {"desde": "2026-12-03T15:00:00-03:00", "hasta": "2026-12-03T18:00:00-03:00"}});
    let cobro = json!({"metodo": "efectivo", "monto": 3700.0, "paga_con": 5000.0, "vuelto": 1300.0});
    body["entrega"] = entrega.clone();
    body["cobro"] = cobro.clone();
    let (status, created) = app.post_ticket(&body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (_, stored) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
    assert_eq!(stored["entrega"], entrega, "{stored}");
    assert_eq!(stored["cobro"], cobro, "{stored}");
    // Posted again, the same ticket (the same fingerprint).
    let (status, again) = app.post_ticket(&body).await;
    assert_eq!((status, &again["ticket_id"]), (StatusCode::OK, &created["ticket_id"]), "{again}");
    // Old clients send neither, and get neither back.
    let (_, old) = app.post_ticket(&order("PED-ENTREGA-2")).await;
    let (_, stored) = app.get(&format!("/api/tickets/{}", old["ticket_id"])).await;
    assert!(stored.get("entrega").is_none() && stored.get("cobro").is_none(), "{stored}");
    // Bad values are refused naming the field.
    for (field, edit) in [
        (
            "entrega.franja.desde",
            json!({"barrio": "Belgrano", "franja": {"desde": "mañana", "hasta": "2026-12-03T18:00:00-03:00"}}),
        ),
        (
            "entrega.barrio",
            json!({"franja": {"desde": "2026-12-03T15:00:00-03:00", "hasta": "2026-12-03T18:00:00-03:00"}}),
        ),
    ] {
        let mut bad = order("PED-ENTREGA-3");
        bad["entrega"] = edit;
        let (status, answer) = app.post_ticket(&bad).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
        assert_eq!(answer["campo"].as_str(), Some(field), "{answer}");
    }
    let mut bad = order("PED-ENTREGA-3");
    bad["cobro"] = json!({"metodo": "efectivo", "monto": 3700.0, "paga_con": 10.0});
    let (status, answer) = app.post_ticket(&bad).await;
    assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    assert_eq!(answer["campo"].as_str(), Some("cobro.paga_con"), "{answer}");
    app.stop().await;
});
