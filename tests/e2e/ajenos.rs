//! Foreign tickets: a status update for a ticket that did not come from
//! Ahorro (Ahorro answers 404, no such order) is recorded as unwanted and
//! dropped, not parked for a person in `/api/notificaciones/fallidas`.
//! Both real services over real HTTP, on SQLite and on PostgreSQL (when
//! `TEST_DATABASE_URL` is set).

use std::time::Duration;

use belgrano_e2e::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_for_orders_ahorro_does_not_know_are_not_parked() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let port = free_port().to_string();
        let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{port}")).await;
        let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[("PORT", port.as_str())]).await;
        let client = reqwest::Client::new();

        // Ahorro really answers 404 for an order it never had.
        let probe = client
            .post(format!("{}/api/tickets", ahorro.url))
            .header("X-API-Key", API_KEY)
            .json(&json!({"numero": "PED-AJENO-0", "estado": "entregado"}))
            .send()
            .await
            .unwrap();
        assert_eq!(probe.status().as_u16(), 404, "{backend:?}");

        let unwanted_before = metric_sum(
            &tickets.url,
            "outbox_delivery_attempts_total",
            &[("service", "tickets"), ("outcome", "unwanted")],
        )
        .await;
        // An old test script's tickets, straight into Tickets.
        for n in 1..=3 {
            let created: Value = client
                .post(format!("{}/api/tickets", tickets.url))
                .header("X-API-Key", API_KEY)
                .json(&json!({"numero": format!("PED-AJENO-{n}"), "cliente_nombre": "Prueba", "total": 10.0}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            patch_ticket(&tickets.url, &created["ticket_id"], json!({"estado": "en-preparacion"})).await;
        }
        let dropped = eventually(Duration::from_secs(20), || async {
            metric_sum(
                &tickets.url,
                "outbox_delivery_attempts_total",
                &[("service", "tickets"), ("outcome", "unwanted")],
            )
            .await
                >= unwanted_before + 3.0
                && metric_sum(&tickets.url, "outbox_pending", &[("service", "tickets")]).await == 0.0
        })
        .await;
        assert!(dropped, "{backend:?}: the three updates were answered 404 and dropped");
        let failed: Value = client
            .get(format!("{}/api/notificaciones/fallidas", tickets.url))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = failed.to_string();
        assert!(!listed.contains("PED-AJENO"), "{backend:?}: not parked for a person: {listed}");
        assert_eq!(metric_sum(&tickets.url, "outbox_failed", &[("service", "tickets")]).await, 0.0, "{backend:?}");

        ahorro.stop().await;
        tickets.stop().await;
    }
}
