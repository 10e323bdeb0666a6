use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, TestDb};
use crate::on_both_backends;

on_both_backends!(health_checks_the_database, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let response = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let healthz = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(healthz.text().await.unwrap(), "ok");
    app.stop().await;
});

#[tokio::test]
async fn health_answers_503_when_the_database_is_gone() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: not run");
        return;
    };
    let app = TestApp::with_couriers(&db).await;
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&admin).await.unwrap();
    let response = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"]["status"], "error");
    let text = body.to_string();
    assert!(!text.contains("SQL") && !text.contains("error returned from database"), "no internals: {text}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite).await;
    let app = TestApp::with_couriers(&db).await;
    let echoed =
        app.client.get(format!("{}/healthz", app.address)).header("X-Request-ID", "req-abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "req-abc-123");
    let generated = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert!(generated.headers()["x-request-id"].len() >= 32);
    app.stop().await;
}

#[test]
fn production_refuses_to_start_without_a_real_key() {
    for key in [None, Some("belgrano_ahorro_api_key_2025")] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tickets"));
        command.env_clear().env("RENDER_ENVIRONMENT", "production").env("PORT", "0");
        if let Some(key) = key {
            command.env("BELGRANO_AHORRO_API_KEY", key);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("BELGRANO_AHORRO_API_KEY"), "says why: {stderr}");
    }
}

on_both_backends!(metrics_are_prometheus_text_behind_the_key, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let id = app.create("PED-METRICS-1").await;
    app.patch_ticket(&id, &serde_json::json!({"estado": "en-preparacion"})).await;
    let anonymous = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .header("X-API-Key", crate::helpers::API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for expected in [
        r#"http_requests_total{service="tickets",route="/api/tickets",method="POST",status="200"}"#,
        r#"http_request_duration_seconds_bucket{service="tickets",route="/api/tickets/{id}",method="PATCH",status="200""#,
        r#"tickets{service="tickets",estado="en-preparacion"} 1"#,
        r#"outbox_pending{service="tickets"}"#,
        r#"outbox_oldest_pending_seconds{service="tickets"}"#,
        r#"socket_clients{service="tickets"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    app.stop().await;
});
