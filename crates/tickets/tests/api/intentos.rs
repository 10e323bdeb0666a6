//! Failed delivery attempts: `POST /api/tickets/{id}/intento-fallido`, the
//! courier's "no se pudo entregar" and the detail page's form. The ticket
//! goes back to `pendiente` without a courier; the state machine itself
//! still refuses `en-camino → pendiente`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, API_KEY, DEMO_PASSWORD, TestApp, TestDb, logged_in};
use crate::on_both_backends;
use belgrano_testkit::socket_client::{Connect, SocketClient};

async fn intento(app: &TestApp, id: &Value, body: &Value) -> (StatusCode, Value) {
    app.api(reqwest::Method::POST, &format!("/api/tickets/{id}/intento-fallido"), body).await
}

/// A ticket of courier `courier` on its way; returns its id.
async fn en_camino(app: &TestApp, numero: &str, courier: i64) -> Value {
    let id = app.create(numero).await;
    for change in
        [json!({"repartidor_id": courier}), json!({"estado": "en-preparacion"}), json!({"estado": "en-camino"})]
    {
        let (status, t) = app.patch_ticket(&id, &change).await;
        assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{change}: {t}");
    }
    let (_, t) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(t["estado"], "en-camino");
    assert_eq!(t["repartidor_id"], courier);
    id
}

on_both_backends!(a_failed_attempt_sends_the_ticket_back_to_dispatch, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board connects")
    };
    let id = en_camino(&app, "PED-INT-1", 2).await;
    let (_, before) = app.get(&format!("/api/tickets/{id}")).await;
    board.drain(Duration::from_millis(300)).await;

    let (status, t) = intento(&app, &id, &json!({"motivo": "  No había nadie en el domicilio "})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["estado"], "pendiente");
    assert_eq!(t["repartidor_id"], Value::Null);
    assert_eq!(t["repartidor"], Value::Null);
    assert_eq!(t["fecha_en_camino"], Value::Null);
    assert_eq!(t["intentos_fallidos"], 1);
    assert_eq!(t["motivo_intento"], "No había nadie en el domicilio");
    assert_eq!(t["version"], before["version"].as_i64().unwrap() + 1);

    // Live: the card moves to "Sin asignar", and who had it is named so
    // their view drops it.
    let (name, event) = board.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_asignado");
    assert_eq!(event["estado"], "pendiente");
    assert_eq!(event["repartidor_id"], Value::Null);
    assert_eq!(event["anterior_repartidor_id"], 2);
    assert_eq!(event["intentos_fallidos"], 1);
    assert_eq!(event["motivo_intento"], "No había nadie en el domicilio");
    // Catch-up sends it under the same name.
    let answer = board.emit_with_ack("sincronizar", json!({"desde_seq": 0}), Duration::from_secs(3)).await.unwrap();
    let last = answer["eventos"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["evento"], "ticket_asignado", "{last}");
    assert_eq!(last["datos"]["intentos_fallidos"], 1);

    let (_, history) = app.get(&format!("/api/tickets/{id}/historial")).await;
    let line = history.as_array().unwrap().last().unwrap();
    assert_eq!(line["evento"], "intento_fallido");
    assert_eq!(line["detalle"], "Intento fallido: No había nadie en el domicilio");
    assert_eq!(line["quien"], "sistema (API)");

    // It can be dispatched again, and a second failure counts as two.
    for change in [json!({"repartidor_id": 3}), json!({"estado": "en-preparacion"}), json!({"estado": "en-camino"})] {
        assert_eq!(app.patch_ticket(&id, &change).await.0, StatusCode::OK, "{change}");
    }
    let (_, t) = intento(&app, &id, &json!({"motivo": "Dirección equivocada"})).await;
    assert_eq!(t["intentos_fallidos"], 2);
    assert_eq!(t["motivo_intento"], "Dirección equivocada");
    app.stop().await;
});

on_both_backends!(a_failed_attempt_is_only_for_tickets_on_their_way, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let pendiente = app.create("PED-INT-2").await;
    let (status, body) = intento(&app, &pendiente, &json!({"motivo": "No atendió"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["campo"], "estado");
    assert!(body["error"].as_str().unwrap().contains("en camino"), "a Spanish hint: {body}");

    let id = en_camino(&app, "PED-INT-3", 1).await;
    for body in [
        json!({}),
        json!({"motivo": null}),
        json!({"motivo": "   "}),
        json!({"motivo": 5}),
        json!({"motivo": "a".repeat(501)}),
        json!({"motivo": "a\u{0}"}),
    ] {
        let (status, answer) = intento(&app, &id, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["campo"], "motivo", "{body}");
    }
    assert_eq!(intento(&app, &id, &json!({"motivo": "a".repeat(500)})).await.0, StatusCode::OK);
    assert_eq!(intento(&app, &json!(424242), &json!({"motivo": "x"})).await.0, StatusCode::NOT_FOUND);

    // The state machine does not change: PATCH cannot go back.
    let again = en_camino(&app, "PED-INT-4", 1).await;
    let (status, _) = app.patch_ticket(&again, &json!({"estado": "pendiente"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, t) = app.get(&format!("/api/tickets/{again}")).await;
    assert_eq!(t["estado"], "en-camino");
    assert_eq!(t["intentos_fallidos"], 0);
    app.stop().await;
});

on_both_backends!(couriers_report_their_own_failed_attempts_from_their_page, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mine = en_camino(&app, "PED-INT-5", 2).await;
    let other = en_camino(&app, "PED-INT-6", 1).await;
    let mut courier = logged_in(&app, "repartidor2@belgrano.local", DEMO_PASSWORD).await;

    let page = courier.get("/repartidor").await;
    assert!(page.body.contains(&format!("/repartidor/tickets/{mine}/intento-fallido")), "the button is this action");
    assert!(!page.body.contains("value=\"cancelado\""), "not a cancellation");

    // Another's: as if it did not exist, by page and by API.
    let theirs =
        courier.post(&format!("/repartidor/tickets/{other}/intento-fallido"), &[("motivo", "No había nadie")]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let cookie =
        format!("belgrano_sesion={}; belgrano_csrf={}", courier.session().unwrap(), courier.csrf_token().await);
    let csrf = courier.csrf_token().await;
    let by_api = reqwest::Client::new()
        .post(format!("{}/api/tickets/{other}/intento-fallido", app.address))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"motivo": "No había nadie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_api.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/tickets/{other}")).await.1["estado"], "en-camino");

    // Without a reason the page says so.
    let empty = courier.post(&format!("/repartidor/tickets/{mine}/intento-fallido"), &[("motivo", " ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Indique el motivo"), "{}", empty.body);

    let done =
        courier.post(&format!("/repartidor/tickets/{mine}/intento-fallido"), &[("motivo", "Portón cerrado")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/repartidor"));
    let (_, t) = app.get(&format!("/api/tickets/{mine}")).await;
    assert_eq!(t["estado"], "pendiente");
    assert_eq!(t["repartidor_id"], Value::Null);
    assert_eq!(t["motivo_intento"], "Portón cerrado");
    assert!(!courier.get("/repartidor").await.body.contains("PED-INT-5"), "it left the courier's page");
    let (_, history) = app.get(&format!("/api/tickets/{mine}/historial")).await;
    assert_eq!(history.as_array().unwrap().last().unwrap()["quien"], "Repartidor2 (repartidor)");
    app.stop().await;
});

on_both_backends!(dispatchers_record_a_failed_attempt_from_the_detail_page, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let id = en_camino(&app, "PED-INT-7", 4).await;
    let waiting = app.create("PED-INT-8").await;
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let detail = dispatcher.get(&format!("/panel/tickets/{id}")).await;
    assert!(detail.body.contains(&format!("/panel/tickets/{id}/intento-fallido")), "a form when en camino");
    let other = dispatcher.get(&format!("/panel/tickets/{waiting}")).await;
    assert!(!other.body.contains("intento-fallido\""), "no form when pendiente");

    let refused = dispatcher.post(&format!("/panel/tickets/{waiting}/intento-fallido"), &[("motivo", "x")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("Solo un ticket en camino"), "{}", refused.body);

    let done = dispatcher.post(&format!("/panel/tickets/{id}/intento-fallido"), &[("motivo", "Cliente ausente")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let detail = dispatcher.get(&format!("/panel/tickets/{id}")).await;
    assert!(detail.body.contains("Intentos fallidos: <strong>1</strong>"), "{}", detail.body);
    assert!(detail.body.contains("Intento fallido: Cliente ausente"), "in the history");
    let (_, t) = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(t["estado"], "pendiente");
    app.stop().await;
});
