use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, TestDb, order, settings};
use crate::on_both_backends;

on_both_backends!(a_hundred_tickets_from_ten_clients_spread_evenly, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let clients = (0..10).map(|client| {
        let app = &app;
        async move {
            for n in 0..10 {
                let (status, body) = app.post_ticket(&order(&format!("PED-LOAD-{client}-{n}"))).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
    });
    futures_util::future::join_all(clients).await;

    let tickets = app.all_tickets().await;
    assert_eq!(tickets.len(), 100);
    let mut loads: HashMap<String, i64> = HashMap::new();
    for t in &tickets {
        let courier = t["repartidor"].as_str().expect("every ticket has a courier").to_owned();
        *loads.entry(courier).or_default() += 1;
    }
    assert_eq!(loads.len(), 5, "all five couriers got work: {loads:?}");
    let (min, max) = (loads.values().min().unwrap(), loads.values().max().unwrap());
    assert!(max - min <= 2, "open loads differ by at most 2: {loads:?}");
    // Each ticket's stored courier id and name agree.
    let ids: std::collections::HashSet<(i64, String)> = tickets
        .iter()
        .map(|t| (t["repartidor_id"].as_i64().unwrap(), t["repartidor"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ids.len(), 5);
    app.stop().await;
});

on_both_backends!(without_couriers_tickets_are_stored_unassigned, |db: TestDb| async move {
    let mut no_couriers = settings(&db, &[]);
    no_couriers.seed_demo_data = false;
    let app = TestApp::start(no_couriers).await;
    let (status, body) = app.post_ticket(&order("PED-NOBODY")).await;
    assert_eq!(status, StatusCode::OK, "never refused");
    assert_eq!(body["repartidor_asignado"], Value::Null);
    let tickets = app.all_tickets().await;
    assert_eq!(tickets[0]["repartidor"], Value::Null);
    assert_eq!(tickets[0]["fecha_asignacion"], Value::Null);
    app.stop().await;
});

on_both_backends!(production_invents_no_couriers, |db: TestDb| async move {
    let app = TestApp::start(settings(&db, &[("RENDER_ENVIRONMENT", "production")])).await;
    let (status, body) = app.post_ticket(&order("PED-PROD-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["repartidor_asignado"], Value::Null);
    app.stop().await;
});

on_both_backends!(finished_moved_and_deleted_tickets_free_their_courier, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut by_courier: HashMap<i64, Vec<Value>> = HashMap::new();
    for n in 0..10 {
        let (_, created) = app.post_ticket(&order(&format!("PED-FREE-{n}"))).await;
        let (_, t) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
        by_courier.entry(t["repartidor_id"].as_i64().unwrap()).or_default().push(t["id"].clone());
    }
    assert!(by_courier.values().all(|ids| ids.len() == 2), "{by_courier:?}");
    let courier_of = |t: &Value| t["repartidor_id"].as_i64();

    // Courier 1 delivers one ticket and cancels the other: no open load left.
    let ones = &by_courier[&1];
    for estado in ["en-preparacion", "en-camino", "entregado"] {
        app.patch_ticket(&ones[0], &serde_json::json!({"estado": estado})).await;
    }
    app.patch_ticket(&ones[1], &serde_json::json!({"estado": "cancelado", "motivo": "duplicado"})).await;
    let (_, next) = app.post_ticket(&order("PED-FREE-NEXT-1")).await;
    let (_, next) = app.get(&format!("/api/tickets/{}", next["ticket_id"])).await;
    assert_eq!(courier_of(&next), Some(1), "the courier with no open tickets gets the next one");

    // Courier 2's tickets: one moved to courier 1, one deleted: courier 2 is now the least loaded.
    let twos = by_courier[&2].clone();
    app.patch_ticket(&twos[0], &serde_json::json!({"repartidor_id": 1})).await;
    let deleted = app
        .client
        .delete(format!("{}/api/tickets/{}", app.address, twos[1]))
        .header("X-API-Key", crate::helpers::API_KEY)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let (_, next) = app.post_ticket(&order("PED-FREE-NEXT-2")).await;
    let (_, next) = app.get(&format!("/api/tickets/{}", next["ticket_id"])).await;
    assert_eq!(courier_of(&next), Some(2), "loads follow reassignment and deletion");
    app.stop().await;
});
