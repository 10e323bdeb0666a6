use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{API_KEY, TestApp, TestDb, order};
use crate::on_both_backends;
use belgrano_testkit::socket_client::{Connect, SocketClient};

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
                refused.push(client);
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

/// Sends `sincronizar` with the last seq seen and returns the answer.
async fn catch_up(client: &mut SocketClient, after: i64) -> serde_json::Value {
    client.emit_with_ack("sincronizar", json!({"desde_seq": after}), WAIT).await.expect("catch-up answered")
}

on_both_backends!(a_board_that_reconnects_catches_up_on_what_it_missed, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board connects")
    };
    app.post_ticket(&order("PED-SEEN-1")).await;
    let (_, seen) = board.next_event(WAIT).await.unwrap();
    let last_seen = seen["seq"].as_i64().unwrap();

    // The board drops; meanwhile tickets are created and one changes.
    drop(board);
    let mut missed = Vec::new();
    for n in 1..=3 {
        let (_, created) = app.post_ticket(&order(&format!("PED-MISSED-{n}"))).await;
        missed.push(created["ticket_id"].clone());
    }
    app.patch_ticket(&missed[0], &json!({"estado": "en-preparacion"})).await;

    let Connect::Accepted(mut board) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("board reconnects")
    };
    let answer = catch_up(&mut board, last_seen).await;
    assert_eq!(answer["completo"], true);
    let events = answer["eventos"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> =
        events.iter().map(|e| (e["evento"].as_str().unwrap(), e["datos"]["numero"].as_str().unwrap())).collect();
    assert_eq!(
        kinds,
        [
            ("nuevo_ticket", "PED-MISSED-1"),
            ("nuevo_ticket", "PED-MISSED-2"),
            ("nuevo_ticket", "PED-MISSED-3"),
            ("ticket_actualizado", "PED-MISSED-1"),
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert!(seqs[0] > last_seen);
    assert_eq!(events[0]["datos"]["seq"], events[0]["seq"]);
    assert_eq!(answer["ultimo_seq"], *seqs.last().unwrap());
    // Nothing new after the last one.
    let answer = catch_up(&mut board, *seqs.last().unwrap()).await;
    assert!(answer["eventos"].as_array().unwrap().is_empty());
    app.stop().await;
});

on_both_backends!(an_unreachable_redis_stops_the_start_with_a_clear_error, |db: TestDb| async move {
    // Nobody listens on port 1: an instance that cannot share its events
    // must not start and silently keep them to itself.
    let started = tokio::time::timeout(
        Duration::from_secs(15),
        belgrano_tickets::Application::build(crate::helpers::settings(&db, &[("REDIS_URL", "redis://127.0.0.1:1")])),
    )
    .await
    .expect("gives up in time");
    let error = format!("{:#}", started.err().expect("does not start"));
    assert!(error.contains("REDIS_URL"), "{error}");
});
