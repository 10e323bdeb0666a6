use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, TestDb};
use crate::on_both_backends;
use belgrano_testkit::socket_client::{Connect, SocketClient};

on_both_backends!(a_ticket_walks_its_lifecycle_with_timestamps_and_history, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let id = app.create("PED-LIFE-1").await;
    let (status, t) = app.patch_ticket(&id, &json!({"estado": "en-preparacion"})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["estado"], "en-preparacion");
    assert_eq!(t["version"], 2);
    let (_, t) = app.patch_ticket(&id, &json!({"estado": "en-camino"})).await;
    assert!(t["fecha_en_camino"].is_string());
    assert_eq!(t["fecha_entrega"], Value::Null);
    let (_, t) = app.patch_ticket(&id, &json!({"estado": "entregado", "nota": "Recibió el portero"})).await;
    assert_eq!(t["estado"], "entregado");
    assert!(t["fecha_entrega"].is_string());
    assert_eq!(t["notas_repartidor"], "Recibió el portero");
    assert_eq!(t["version"], 4);

    let (status, history) = app.get(&format!("/api/tickets/{id}/historial")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["detalle"].as_str().unwrap()).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("Pedido recibido; asignado a Repartidor"));
    assert_eq!(lines[1], "Estado: Pendiente → En preparación");
    assert_eq!(lines[3], "Estado: En camino → Entregado (nota: Recibió el portero)");
    assert!(history.as_array().unwrap().iter().all(|h| h["quien"] == "sistema (API)" && h["fecha"].is_string()));
    app.stop().await;
});

on_both_backends!(invalid_transitions_answer_409_and_change_nothing, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let id = app.create("PED-409").await;
    for estado in ["entregado", "en-camino", "pendiente"] {
        let (status, body) = app.patch_ticket(&id, &json!({"estado": estado})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{estado}: {body}");
        assert!(body["error"].as_str().unwrap().contains("No se puede pasar"), "{body}");
    }
    let (status, _) = app.patch_ticket(&id, &json!({"estado": "cancelado", "motivo": "Cliente arrepentido"})).await;
    assert_eq!(status, StatusCode::OK);
    for change in [json!({"estado": "en-preparacion"}), json!({"repartidor_id": null})] {
        let (status, body) = app.patch_ticket(&id, &change).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["error"].as_str().unwrap().contains("cancelado"));
    }
    let (_, t) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(t["estado"], "cancelado");
    assert_eq!(t["motivo_cancelacion"], "Cliente arrepentido");
    assert_eq!(t["version"], 2);
    // Bad requests name the field.
    let other = app.create("PED-409-B").await;
    for (body, field) in [
        (json!({}), "estado"),
        (json!({"estado": "volando"}), "estado"),
        (json!({"repartidor_id": "dos"}), "repartidor_id"),
        (json!({"repartidor_id": 999}), "repartidor_id"),
    ] {
        let (status, answer) = app.patch_ticket(&other, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["campo"], field);
    }
    assert_eq!(app.patch_ticket(&json!(424242), &json!({"estado": "en-preparacion"})).await.0, StatusCode::NOT_FOUND);
    app.stop().await;
});

on_both_backends!(reassigning_and_deleting_are_recorded_and_broadcast, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board connects")
    };
    let id = app.create("PED-MOVE-1").await;
    let (_, created) = board.next_event(Duration::from_secs(3)).await.unwrap();
    let first_courier = created["repartidor_id"].as_i64().unwrap();
    let other = if first_courier == 1 { 2 } else { 1 };

    let (status, t) = app.patch_ticket(&id, &json!({"repartidor_id": other})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["repartidor_id"], other);
    assert_eq!(t["repartidor"], format!("Repartidor{other}"));
    let (name, event) = board.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_asignado");
    assert_eq!(event["repartidor_id"], other);
    assert_eq!(event["anterior_repartidor_id"], first_courier);
    assert!(event["seq"].as_i64().unwrap() > created["seq"].as_i64().unwrap());

    let (_, t) = app.patch_ticket(&id, &json!({"estado": "en-preparacion"})).await;
    let (name, event) = board.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_actualizado");
    assert_eq!(event["estado"], "en-preparacion");
    assert_eq!(event["version"], t["version"]);

    let response = app
        .client
        .delete(format!("{}/api/tickets/{id}", app.address))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (name, event) = board.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_eliminado");
    assert_eq!(event["numero"], "PED-MOVE-1");
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.0, StatusCode::NOT_FOUND);
    app.stop().await;
});

// A change answers the ticket it built in memory from its plan, without
// reading the row back (crates/tickets/src/store/lifecycle.rs): after every
// kind of change, the answer and the board's card must equal a fresh read.
on_both_backends!(every_change_answers_the_ticket_as_stored, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board connects")
    };
    let id = app.create("PED-AS-STORED").await;
    board.drain(Duration::from_millis(300)).await;
    let (_, created) = app.get(&format!("/api/tickets/{id}")).await;
    let first = created["repartidor_id"].as_i64().unwrap();
    let other = if first == 1 { 2 } else { 1 };
    let changes = [
        ("PATCH", json!({"estado": "en-preparacion"})),
        ("PATCH", json!({"repartidor_id": other})),
        ("PATCH", json!({"prioridad": "alta", "indicaciones": "Timbre 3"})),
        ("PATCH", json!({"cliente_direccion": "Juramento 2100, 4° B", "indicaciones": ""})),
        ("PATCH", json!({"repartidor_id": null})),
        ("PATCH", json!({"repartidor_id": first})),
        ("PATCH", json!({"estado": "en-camino"})),
        ("POST", json!({"motivo": "No había nadie"})),
        ("PATCH", json!({"repartidor_id": first, "estado": "en-preparacion"})),
        ("PATCH", json!({"estado": "en-camino"})),
        ("PATCH", json!({"estado": "entregado", "nota": "Recibió el portero"})),
        ("CANCEL", json!({"estado": "cancelado", "motivo": "Cliente arrepentido"})),
    ];
    let cancelled = app.create("PED-AS-STORED-2").await;
    board.drain(Duration::from_millis(300)).await;
    for (method, change) in changes {
        let id = if method == "CANCEL" { &cancelled } else { &id };
        let (status, answered) = match method {
            "POST" => app.api(reqwest::Method::POST, &format!("/api/tickets/{id}/intento-fallido"), &change).await,
            _ => app.patch_ticket(id, &change).await,
        };
        assert_eq!(status, StatusCode::OK, "{change}: {answered}");
        let (_, stored) = app.get(&format!("/api/tickets/{id}")).await;
        assert_eq!(answered, stored, "{change}: the answer is the stored ticket");
        let mut card = None;
        while let Some((_, event)) = board.next_event(Duration::from_millis(500)).await {
            card = Some(event);
        }
        let card = card.unwrap_or_else(|| panic!("{change}: the board hears of it"));
        for field in [
            "estado",
            "repartidor_id",
            "repartidor",
            "version",
            "prioridad",
            "indicaciones",
            "cliente_direccion",
            "intentos_fallidos",
            "fecha_actualizacion",
        ] {
            if card.get(field).is_some() {
                assert_eq!(card[field], stored[field], "{change}: the card's {field}");
            }
        }
    }
    app.stop().await;
});
