use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{order, settings, TestApp, TestDb};
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
