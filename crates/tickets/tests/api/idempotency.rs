use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, order};
use crate::on_both_backends;

on_both_backends!(an_identical_repeat_returns_the_same_ticket, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (_, first) = app.post_ticket(&order("PED-REP-1")).await;
    let (status, again) = app.post_ticket(&order("PED-REP-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["idempotent"], true);
    for field in ["ticket_id", "numero", "estado", "repartidor_asignado", "fecha_creacion", "cliente_nombre", "total"] {
        assert_eq!(again[field], first[field], "{field}");
    }
    assert!(first.get("idempotent").is_none(), "a new ticket has exactly the seed's fields");
    assert_eq!(app.all_tickets().await.len(), 1);
    app.stop().await;
});

on_both_backends!(the_same_numero_with_another_payload_is_refused, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (_, first) = app.post_ticket(&order("PED-CHG-1")).await;
    let mut changed = order("PED-CHG-1");
    changed["total"] = json!(1.0);
    let (status, answer) = app.post_ticket(&changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["campo"], "numero");
    assert!(answer["error"].as_str().unwrap().contains("PED-CHG-1"));
    let tickets = app.all_tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["total"], 3700.0, "the stored ticket is unchanged");
    assert_eq!(tickets[0]["id"], first["ticket_id"]);
    app.stop().await;
});

on_both_backends!(forty_concurrent_identical_posts_make_one_ticket, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let posts = (0..40).map(|_| app.post_ticket(order_ref()));
    let answers: Vec<(StatusCode, Value)> = futures_util::future::join_all(posts).await;
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["ticket_id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same ticket");
    assert_eq!(answers.iter().filter(|(_, b)| b.get("idempotent").is_none()).count(), 1, "one creation");
    assert_eq!(app.all_tickets().await.len(), 1);
    app.stop().await;
});

fn order_ref() -> &'static Value {
    static ORDER: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    ORDER.get_or_init(|| order("PED-RACE-1"))
}

on_both_backends!(tickets_and_idempotency_survive_a_restart, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (_, first) = app.post_ticket(&order("PED-RESTART-1")).await;
    app.stop().await;

    let app = TestApp::with_couriers(&db).await;
    let (status, stored) = app.get(&format!("/api/tickets/{}", first["ticket_id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["numero"], "PED-RESTART-1");
    let (status, again) = app.post_ticket(&order("PED-RESTART-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["idempotent"], true);
    assert_eq!(again["ticket_id"], first["ticket_id"]);
    let mut changed = order("PED-RESTART-1");
    changed["cliente_nombre"] = json!("Otra Persona");
    assert_eq!(app.post_ticket(&changed).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.all_tickets().await.len(), 1);
    app.stop().await;
});
