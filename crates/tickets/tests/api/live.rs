use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{API_KEY, Browser, DEMO_PASSWORD, TestApp, TestDb, logged_in, order};
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
    assert_eq!(events[0]["datos"]["ticket_id"], missed[0]);
    assert_eq!(answer["ultimo_seq"], *seqs.last().unwrap());
    // A stored nuevo_ticket is what a live board heard, field for field.
    let answer = catch_up(&mut board, last_seen - 1).await;
    assert_eq!(answer["eventos"][0]["datos"], seen);
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

// ---- A live connection lives no longer than its session ----

/// A browser logged in as `email`.
/// A Socket.IO client on `browser`'s session cookie, once in its rooms.
pub async fn socket_of(app: &TestApp, browser: &Browser) -> SocketClient {
    let cookie = format!("belgrano_sesion={}", browser.session().expect("logged in"));
    match SocketClient::connect(app.port, None, &[("cookie", &cookie)]).await {
        Connect::Accepted(client) => client,
        Connect::Refused(error, _) => panic!("the session's socket is refused: {error}"),
    }
}

/// Whether a new socket on `browser`'s (former) session is refused.
pub async fn session_socket_refused(app: &TestApp, browser_session: &str) -> bool {
    let cookie = format!("belgrano_sesion={browser_session}");
    matches!(SocketClient::connect(app.port, None, &[("cookie", &cookie)]).await, Connect::Refused(..))
}

/// Asserts the server disconnected `client` for `motivo`: it hears
/// `desconexion` (whatever came before is skipped), and from then on
/// nothing: no answer to a catch-up, no customer's ticket.
pub async fn assert_disconnected(client: &mut SocketClient, motivo: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (name, payload) = client.next_event(left).await.expect("a disconnect notice in time");
        if name == "desconexion" {
            assert_eq!(payload["motivo"], motivo, "{payload}");
            break;
        }
    }
    let answer = client.emit_with_ack("sincronizar", json!({"desde_seq": 0}), Duration::from_millis(800)).await;
    assert!(answer.is_none(), "a disconnected socket still gets the history: {answer:?}");
}

/// Asserts `client` is connected and allowed: its catch-up is answered.
pub async fn assert_live(client: &mut SocketClient) {
    let answer = client.emit_with_ack("sincronizar", json!({"desde_seq": 0}), WAIT).await.expect("answered");
    assert!(answer["eventos"].is_array(), "a live socket gets its catch-up: {answer}");
}

/// Whether `client` hears `nuevo_ticket` for `numero` within `WAIT`.
pub async fn hears_ticket(client: &mut SocketClient, numero: &str) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while let Some((name, event)) =
        client.next_event(deadline.saturating_duration_since(tokio::time::Instant::now())).await
    {
        if name == "nuevo_ticket" && event["numero"] == numero {
            return true;
        }
    }
    false
}

on_both_backends!(logging_out_disconnects_that_sessions_sockets_and_no_others, |db: TestDb| async move {
    let app = TestApp::start(crate::helpers::settings(
        &db,
        &[("ADMIN_EMAIL", "jefa@belgrano.local"), ("ADMIN_PASSWORD", "clave-de-jefa")],
    ))
    .await;
    let mut leaving = logged_in(&app, "admin@belgrano.local", DEMO_PASSWORD).await;
    let staying = logged_in(&app, "admin@belgrano.local", DEMO_PASSWORD).await;
    let colleague = logged_in(&app, "jefa@belgrano.local", "clave-de-jefa").await;
    // The board open in two tabs of the leaving browser.
    let (mut tab_1, mut tab_2) = (socket_of(&app, &leaving).await, socket_of(&app, &leaving).await);
    let mut same_account = socket_of(&app, &staying).await;
    let mut other_dispatcher = socket_of(&app, &colleague).await;
    let Connect::Accepted(mut service) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("the service connects")
    };
    let old_session = leaving.session().unwrap();

    let out = leaving.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_disconnected(&mut tab_1, "sesion-cerrada").await;
    assert_disconnected(&mut tab_2, "sesion-cerrada").await;

    // Customers' data keeps reaching everyone else, and only them.
    app.post_ticket(&order("PED-AFTER-LOGOUT")).await;
    for (who, client) in [("same account", &mut same_account), ("other dispatcher", &mut other_dispatcher)] {
        assert!(hears_ticket(client, "PED-AFTER-LOGOUT").await, "{who} still hears new tickets");
        assert_live(client).await;
    }
    assert!(hears_ticket(&mut service, "PED-AFTER-LOGOUT").await);
    for tab in [&mut tab_1, &mut tab_2] {
        let heard = tab.drain(Duration::from_millis(300)).await;
        assert!(heard.is_empty(), "a logged-out tab heard {heard:?}");
    }
    assert!(session_socket_refused(&app, &old_session).await, "and cannot come back");
    app.stop().await;
});

on_both_backends!(a_password_change_disconnects_the_accounts_other_sessions, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut phone = logged_in(&app, "repartidor4@belgrano.local", DEMO_PASSWORD).await;
    let laptop = logged_in(&app, "repartidor4@belgrano.local", DEMO_PASSWORD).await;
    let someone_else = logged_in(&app, "repartidor5@belgrano.local", DEMO_PASSWORD).await;
    let mut on_phone = socket_of(&app, &phone).await;
    let mut on_laptop = socket_of(&app, &laptop).await;
    let mut other_courier = socket_of(&app, &someone_else).await;

    let page = phone
        .post(
            "/cuenta/password",
            &[("actual", DEMO_PASSWORD), ("nueva", "otra-clave-1"), ("confirmacion", "otra-clave-1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_disconnected(&mut on_laptop, "sesion-cerrada").await;
    assert!(session_socket_refused(&app, &laptop.session().unwrap()).await);
    // The session that changed it stays, and so does everyone else.
    assert_live(&mut on_phone).await;
    assert_live(&mut other_courier).await;
    assert!(on_phone.drain(Duration::from_millis(300)).await.iter().all(|(name, _)| name != "desconexion"));
    app.stop().await;
});

/// Opens the test's database beside the running service.
async fn store_of(db: &TestDb) -> belgrano_tickets::store::Store {
    belgrano_tickets::store::Store::connect(&db.url).await.expect("the test database opens")
}

on_both_backends!(sincronizar_refuses_a_deleted_or_expired_session_and_disconnects, |db: TestDb| async move {
    use belgrano_platform::db::{Ts, sql};
    let app = TestApp::with_couriers(&db).await;
    app.post_ticket(&order("PED-HISTORY-1")).await;
    let dispatcher = logged_in(&app, "admin@belgrano.local", DEMO_PASSWORD).await;
    let courier = logged_in(&app, "repartidor1@belgrano.local", DEMO_PASSWORD).await;
    let mut deleted = socket_of(&app, &dispatcher).await;
    let mut expired = socket_of(&app, &courier).await;
    let Connect::Accepted(mut service) = SocketClient::connect(app.port, Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("the service connects")
    };
    assert_live(&mut deleted).await;

    // Ended behind the service's back (as when the news of a logout on
    // another instance could not be relayed): one deleted, one expired.
    let store = store_of(&db).await;
    let admin_id = store.login_account("admin@belgrano.local").await.unwrap().unwrap().0.id;
    belgrano_platform::session::Sessions::new(store.db().clone()).delete_all_of(admin_id, None).await.unwrap();
    sql("UPDATE sessions SET expires_at = $1")
        .bind(Ts(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .execute(store.db().write())
        .await
        .unwrap();
    store.db().close().await;

    for client in [&mut deleted, &mut expired] {
        let answer = client.emit_with_ack("sincronizar", json!({"desde_seq": 0}), WAIT).await.expect("answered");
        assert_eq!(answer["sesion_terminada"], true, "{answer}");
        assert!(answer.get("eventos").is_none(), "no history for an ended session: {answer}");
        assert_disconnected(client, "sesion-cerrada").await;
    }
    app.post_ticket(&order("PED-HISTORY-2")).await;
    assert!(deleted.drain(Duration::from_millis(300)).await.is_empty());
    assert!(expired.drain(Duration::from_millis(300)).await.is_empty());
    // The API key has no session to end.
    assert!(hears_ticket(&mut service, "PED-HISTORY-2").await);
    assert_live(&mut service).await;
    app.stop().await;
});
