use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{order, TestApp, TestDb, API_KEY};
use crate::on_both_backends;
use crate::socket_client::{Connect, SocketClient};

const WAIT: Duration = Duration::from_secs(3);

on_both_backends!(an_authenticated_client_gets_nuevo_ticket, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut by_auth) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("a client with the API key is accepted")
    };
    let Connect::Accepted(mut by_header) = SocketClient::connect(app.port, None, &[("X-API-Key", API_KEY)]).await
    else {
        panic!("a client with the X-API-Key header is accepted")
    };

    let (status, created) = app.post_ticket(&order("PED-LIVE-1")).await;
    assert_eq!(status, StatusCode::OK);
    for client in [&mut by_auth, &mut by_header] {
        let (name, event) = client.next_event(WAIT).await.expect("nuevo_ticket arrives");
        assert_eq!(name, "nuevo_ticket");
        assert_eq!(event["ticket_id"], created["ticket_id"]);
        assert_eq!(event["numero"], "PED-LIVE-1");
        assert_eq!(event["cliente_nombre"], "Juan Pérez");
        assert_eq!(event["estado"], "pendiente");
        assert_eq!(event["repartidor"], created["repartidor_asignado"]);
        assert_eq!(event["prioridad"], "normal");
        assert_eq!(event["tipo_cliente"], "cliente");
        assert_eq!(event["total"], 3700.0);
        assert_eq!(event["fecha_creacion"], created["fecha_creacion"]);
        assert!(event["seq"].as_i64().unwrap() > 0);
    }

    // A repeat creates nothing, so it announces nothing; a new ticket gets a higher seq.
    app.post_ticket(&order("PED-LIVE-1")).await;
    app.post_ticket(&order("PED-LIVE-2")).await;
    let (_, second) = by_auth.next_event(WAIT).await.unwrap();
    assert_eq!(second["numero"], "PED-LIVE-2");
    assert!(by_auth.drain(Duration::from_millis(300)).await.is_empty());
    app.stop().await;
});

on_both_backends!(anonymous_clients_are_refused_and_hear_nothing, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let attempts = [
        (None, vec![]),
        (Some(json!({"api_key": "wrong"})), vec![]),
        (Some(json!({"token": API_KEY})), vec![]),
        (None, vec![("X-API-Key", "wrong")]),
    ];
    let mut refused = Vec::new();
    for (auth, headers) in attempts {
        match SocketClient::connect(app.port, auth.clone(), &headers).await {
            Connect::Accepted(_) => panic!("accepted {auth:?} {headers:?}"),
            Connect::Refused(error, client) => {
                assert_eq!(error["message"], "no autorizado", "{error}");
                refused.push(client)
            }
        }
    }
    app.post_ticket(&order("PED-SECRET-1")).await;
    for client in &mut refused {
        let heard = client.drain(Duration::from_millis(500)).await;
        assert!(heard.is_empty(), "a refused client received {heard:?}");
    }
    app.stop().await;
});
