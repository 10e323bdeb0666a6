//! Dispatchers edit a ticket's prioridad, indicaciones and address with
//! `PATCH /api/tickets/{id}`; each change is in the history and live;
//! couriers cannot (403 on their own ticket, 404 on another's).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, Browser, TestApp, TestDb};
use crate::on_both_backends;
use belgrano_testkit::socket_client::{Connect, SocketClient};

on_both_backends!(dispatchers_edit_a_ticket_and_couriers_cannot, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board connects")
    };
    let id = app.create("PED-EDIT-1").await;
    let other = app.create("PED-EDIT-2").await;
    board.drain(Duration::from_millis(300)).await;

    let (status, t) = app.patch_ticket(&id, &json!({"prioridad": "alta"})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["prioridad"], "alta");
    assert_eq!(t["version"], 2);
    let (name, event) = board.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_actualizado");
    assert_eq!(event["prioridad"], "alta");

    let (status, t) =
        app.patch_ticket(&id, &json!({"indicaciones": "", "cliente_direccion": " Juramento 2100, 4° B "})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["indicaciones"], Value::Null);
    assert_eq!(t["cliente_direccion"], "Juramento 2100, 4° B");
    assert_eq!(t["version"], 3);
    let (_, history) = app.get(&format!("/api/tickets/{id}/historial")).await;
    let lines: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["detalle"].as_str().unwrap()).collect();
    assert!(lines.contains(&"Prioridad: normal → alta"), "{lines:?}");
    assert!(lines.contains(&"Indicaciones: Timbre 3B → (sin datos)"), "{lines:?}");
    assert!(lines.contains(&"Dirección: Av. Cabildo 1234, Belgrano → Juramento 2100, 4° B"), "{lines:?}");

    for (body, field) in [
        (json!({"prioridad": "urgente"}), "prioridad"),
        (json!({"indicaciones": "a".repeat(2001)}), "indicaciones"),
        (json!({"cliente_direccion": "a".repeat(501)}), "cliente_direccion"),
        (json!({"cliente_direccion": " "}), "cliente_direccion"),
    ] {
        let (status, answer) = app.patch_ticket(&id, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["campo"], field);
    }

    // Couriers: 403 on their own ticket, 404 on another's.
    let (_, mine) = app.get(&format!("/api/tickets/{id}")).await;
    let courier_id = mine["repartidor_id"].as_i64().unwrap();
    app.patch_ticket(&other, &json!({"repartidor_id": if courier_id == 1 { 2 } else { 1 }})).await;
    let mut courier = Browser::new(&app);
    let email = format!("repartidor{courier_id}@belgrano.local");
    assert_eq!(courier.login(&email, "demo1234").await.status, StatusCode::SEE_OTHER);
    let cookie =
        format!("belgrano_sesion={}; belgrano_csrf={}", courier.session().unwrap(), courier.csrf_token().await);
    let csrf = courier.csrf_token().await;
    for (ticket, expected) in [(&id, StatusCode::FORBIDDEN), (&other, StatusCode::NOT_FOUND)] {
        let answer = reqwest::Client::new()
            .patch(format!("{}/api/tickets/{ticket}", app.address))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"prioridad": "baja"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), expected);
    }
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.1["prioridad"], "alta");

    // From the detail page.
    let mut dispatcher = Browser::new(&app);
    assert_eq!(dispatcher.login("admin@belgrano.local", "demo1234").await.status, StatusCode::SEE_OTHER);
    let page = dispatcher.get(&format!("/panel/tickets/{other}")).await;
    assert!(page.body.contains(&format!("/panel/tickets/{other}/editar")), "a form on the detail page");
    let saved = dispatcher
        .post(
            &format!("/panel/tickets/{other}/editar"),
            &[
                ("prioridad", "baja"),
                ("indicaciones", "Tocar fuerte"),
                ("cliente_direccion", "Av. Cabildo 1234, Belgrano"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let (_, t) = app.get(&format!("/api/tickets/{other}")).await;
    assert_eq!(t["prioridad"], "baja");
    assert_eq!(t["indicaciones"], "Tocar fuerte");
    let page = dispatcher.get(&format!("/panel/tickets/{other}")).await;
    assert!(page.body.contains("Prioridad: normal → baja"), "in the history");
    let refused = dispatcher
        .post(&format!("/panel/tickets/{other}/editar"), &[("prioridad", "baja"), ("cliente_direccion", " ")])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("La dirección no puede quedar vacía"));
    app.stop().await;
});
