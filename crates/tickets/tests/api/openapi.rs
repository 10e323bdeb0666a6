//! The OpenAPI document against real responses: every response checked
//! here must match the schema the document gives for its path, method and
//! status (including "no undocumented fields" where the schema says so).
//! The checker is the shared one (`belgrano_testkit::openapi::Spec`), which
//! Ahorro's tests use too.

use belgrano_testkit::openapi::Spec;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, TestDb, order};
use crate::on_both_backends;

on_both_backends!(real_responses_match_the_openapi_document, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let served: Value =
        app.client.get(format!("{}/api/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    let spec = Spec::new(served);

    let (status, created) = app.post_ticket(&order("PED-OAS-1")).await;
    spec.assert_response("post", "/api/tickets", status, &created);
    let (status, repeated) = app.post_ticket(&order("PED-OAS-1")).await;
    spec.assert_response("post", "/api/tickets", status, &repeated);
    let mut changed = order("PED-OAS-1");
    changed["total"] = json!(1);
    let (status, conflict) = app.post_ticket(&changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    spec.assert_response("post", "/api/tickets", status, &conflict);
    let (status, bad) = app.post_ticket(&json!({"numero": "X"})).await;
    spec.assert_response("post", "/api/tickets", status, &bad);
    let unauthorized =
        app.client.post(format!("{}/api/tickets", app.address)).json(&order("PED-OAS-2")).send().await.unwrap();
    let status = unauthorized.status();
    spec.assert_response("post", "/api/tickets", status, &unauthorized.json().await.unwrap());

    let id = created["ticket_id"].clone();
    let (status, page) = app.get("/api/tickets").await;
    spec.assert_response("get", "/api/tickets", status, &page);
    let (status, one) = app.get(&format!("/api/tickets/{id}")).await;
    spec.assert_response("get", "/api/tickets/{id}", status, &one);
    let (status, missing) = app.get("/api/tickets/987654").await;
    spec.assert_response("get", "/api/tickets/{id}", status, &missing);
    let (status, patched) = app.patch_ticket(&id, &json!({"estado": "en-preparacion"})).await;
    spec.assert_response("patch", "/api/tickets/{id}", status, &patched);
    let (status, refused) = app.patch_ticket(&id, &json!({"estado": "entregado"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    spec.assert_response("patch", "/api/tickets/{id}", status, &refused);
    let (status, history) = app.get(&format!("/api/tickets/{id}/historial")).await;
    spec.assert_response("get", "/api/tickets/{id}/historial", status, &history);
    let (status, failed) = app.get("/api/notificaciones/fallidas").await;
    spec.assert_response("get", "/api/notificaciones/fallidas", status, &failed);
    let health = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    let status = health.status();
    spec.assert_response("get", "/health", status, &health.json().await.unwrap());
    let deleted = app
        .client
        .delete(format!("{}/api/tickets/{id}", app.address))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    let status = deleted.status();
    spec.assert_response("delete", "/api/tickets/{id}", status, &deleted.json().await.unwrap());
    app.stop().await;
});

#[test]
fn the_checker_rejects_what_the_document_does_not_say() {
    let spec = Spec::parse(belgrano_tickets::http::OPENAPI).unwrap();
    assert_eq!(spec.broken_refs(), Vec::<String>::new());
    let mut errors = Vec::new();
    let schema = json!({"$ref": "#/components/schemas/TicketCreado"});
    spec.check(&schema, &json!({"exito": true, "ticket_id": "uno"}), "body", &mut errors);
    assert!(errors.iter().any(|e| e.contains("missing numero")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("ticket_id")), "{errors:?}");
    errors.clear();
    spec.check(
        &schema,
        &json!({"exito": true, "ticket_id": 1, "numero": "A", "estado": "volando", "repartidor_asignado": null,
        "fecha_creacion": "x", "cliente_nombre": "A", "total": 1, "secreto": 1}),
        "body",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("not in enum")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("undocumented field secreto")), "{errors:?}");
}
