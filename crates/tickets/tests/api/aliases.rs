//! The old intake's field names (`direccion`, `telefono`, `email`, `notas`)
//! are stored as the seed's; the seed's name wins when both are sent.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, TestDb};
use crate::on_both_backends;

on_both_backends!(the_old_clients_names_are_stored, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let (status, created) = app
        .post_ticket(&json!({"numero": "PED-VIEJO-1", "cliente_nombre": "Ana", "total": 100.0,
            "direccion": "Av. Cabildo 1", "telefono": "011-4444-0000", "email": "ana@example.com", "notas": "Timbre 2"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (_, t) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
    assert_eq!(t["cliente_direccion"], "Av. Cabildo 1");
    assert_eq!(t["cliente_telefono"], "011-4444-0000");
    assert_eq!(t["cliente_email"], "ana@example.com");
    assert_eq!(t["indicaciones"], "Timbre 2");

    let (status, created) = app
        .post_ticket(&json!({"numero": "PED-VIEJO-2", "cliente_nombre": "Ana", "total": 100.0,
            "direccion": "vieja", "cliente_direccion": "Juramento 2"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (_, t) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
    assert_eq!(t["cliente_direccion"], "Juramento 2");

    let (status, refused) = app
        .post_ticket(&json!({"numero": "PED-VIEJO-3", "cliente_nombre": "Ana", "total": 100.0, "email": "no"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["campo"], "email");
    app.stop().await;
});
