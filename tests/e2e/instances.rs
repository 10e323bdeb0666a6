//! Several instances of each service, as on Render with more than one
//! instance: two Tickets on one PostgreSQL sharing the live board through
//! Redis, and two Ahorro on one PostgreSQL sharing the outbox.
//!
//! These need this machine's PostgreSQL and Redis (`TEST_DATABASE_URL`,
//! `TEST_REDIS_URL`; `.ci/run` sets both).

use std::collections::HashMap;
use std::time::Duration;

use belgrano_e2e::*;
use belgrano_testkit::socket_client::{Connect, SocketClient};
use futures_util::future::join_all;
use serde_json::{Value, json};

#[path = "desk_session.rs"]
mod desk_session;
use desk_session::{DeskSession, assert_disconnected, assert_live};

const AHORRO_BIN: &str = env!("CARGO_BIN_EXE_ahorro_e2e");

async fn board(tickets: &Tickets) -> SocketClient {
    match SocketClient::connect(port_of(&tickets.url), Some(json!({"api_key": API_KEY})), &[]).await {
        Connect::Accepted(client) => client,
        Connect::Refused(error, _) => panic!("the board is refused: {error}"),
    }
}

fn ticket(numero: &str) -> Value {
    json!({
        "numero": numero,
        "cliente_nombre": "Ana Gómez",
        "cliente_direccion": "Juramento 2100, Belgrano",
        "cliente_telefono": "11-5555-2100",
        "cliente_email": "ana@example.com",
        "productos": [{"id": 1, "nombre": "Arroz 1kg", "precio": 950, "cantidad": 2, "subtotal": 1900}],
        "total": 1900.0,
        "metodo_pago": "efectivo",
        "estado": "pendiente",
        "prioridad": "normal",
        "tipo_cliente": "cliente"
    })
}

async fn post_ticket(client: &reqwest::Client, tickets: &Tickets, numero: &str) {
    let response = client
        .post(format!("{}/api/tickets", tickets.url))
        .header("X-API-Key", API_KEY)
        .json(&ticket(numero))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{numero} on {}: {}", tickets.url, response.status());
}

/// `nuevo_ticket` events a board hears until it has `expected` of them (or
/// 20 s pass), counted by order number.
async fn heard(board: &mut SocketClient, expected: usize) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while counts.values().sum::<usize>() < expected && tokio::time::Instant::now() < deadline {
        if let Some((name, event)) = board.next_event(Duration::from_secs(1)).await
            && name == "nuevo_ticket"
        {
            *counts.entry(event["numero"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    // Anything doubled would arrive right behind.
    for (name, event) in board.drain(Duration::from_millis(500)).await {
        if name == "nuevo_ticket" {
            *counts.entry(event["numero"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tickets_instances_share_one_live_board_and_one_fair_assignment() {
    let Some(redis) = multi_instance_env() else { return };
    let db = TestDb::new(Backend::Postgres).await;
    // Nobody listens there: status updates wait in the outbox, unharmed.
    let ahorro_url = format!("http://127.0.0.1:{}", free_port());
    let extra = [("REDIS_URL", redis.as_str())];
    // Started together, as a deploy starts them: migrations and demo data
    // must not trip over each other.
    let (a, b) = tokio::join!(
        Tickets::start_with(&db, 0, &ahorro_url, &extra),
        Tickets::start_with(&db, 0, &ahorro_url, &extra)
    );
    let (mut board_a, mut board_b) = (board(&a).await, board(&b).await);
    let client = reqwest::Client::new();

    // A ticket posted to A appears on the board connected to B, and the
    // other way round.
    post_ticket(&client, &a, "MI-A-1").await;
    assert_eq!(heard(&mut board_b, 1).await, HashMap::from([("MI-A-1".to_owned(), 1)]), "B's board hears A's ticket");
    post_ticket(&client, &b, "MI-B-1").await;
    assert_eq!(heard(&mut board_a, 2).await.get("MI-B-1"), Some(&1), "A's board hears B's ticket");
    board_b.drain(Duration::from_millis(200)).await;

    // 200 tickets posted across both at once.
    let numeros: Vec<String> = (0..200).map(|i| format!("MI-{i:04}")).collect();
    join_all(numeros.iter().enumerate().map(|(i, numero)| {
        let (client, instance) = (&client, if i % 2 == 0 { &a } else { &b });
        async move { post_ticket(client, instance, numero).await }
    }))
    .await;

    // Each board hears each of them exactly once.
    for (name, board) in [("A", &mut board_a), ("B", &mut board_b)] {
        let counts = heard(board, numeros.len()).await;
        let missing: Vec<&String> = numeros.iter().filter(|n| !counts.contains_key(*n)).collect();
        let doubled: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
        assert!(missing.is_empty(), "board on {name} missed {} events: {missing:?}", missing.len());
        assert!(doubled.is_empty(), "board on {name} heard events twice: {doubled:?}");
    }

    // Stored once each, and spread evenly over the five couriers.
    let stored = a.tickets_all().await;
    let mut expected = numeros.clone();
    expected.extend(["MI-A-1".to_owned(), "MI-B-1".to_owned()]);
    assert_exactly_once(&stored, &expected);
    let mut per_courier: HashMap<String, usize> = HashMap::new();
    for t in &stored {
        *per_courier.entry(t["repartidor"].as_str().expect("every ticket assigned").to_owned()).or_default() += 1;
    }
    let (min, max) = (per_courier.values().min().unwrap(), per_courier.values().max().unwrap());
    assert_eq!(per_courier.len(), 5, "{per_courier:?}");
    assert!(max - min <= 1, "uneven assignment across instances: {per_courier:?}");
    eprintln!("two Tickets instances: {} tickets, none doubled, per courier {per_courier:?}", stored.len());

    // A board that drops off B and reconnects to B catches up on what was
    // posted to A meanwhile.
    // (The last `seq` it saw, read page by page through the catch-up.)
    let mut last_seq = 0;
    loop {
        let page = board_b.emit_with_ack("sincronizar", json!({"desde_seq": last_seq}), Duration::from_secs(5)).await;
        let page = page.expect("a catch-up answer");
        last_seq = page["ultimo_seq"].as_i64().unwrap();
        if page["completo"] == true {
            break;
        }
    }
    drop(board_b);
    for numero in ["MI-X-1", "MI-X-2", "MI-X-3"] {
        post_ticket(&client, &a, numero).await;
    }
    let mut again = board(&b).await;
    let missed =
        again.emit_with_ack("sincronizar", json!({"desde_seq": last_seq}), Duration::from_secs(5)).await.unwrap();
    let caught: Vec<&str> = missed["eventos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["evento"] == "nuevo_ticket")
        .map(|e| e["datos"]["numero"].as_str().unwrap())
        .collect();
    assert_eq!(caught, ["MI-X-1", "MI-X-2", "MI-X-3"], "{missed}");

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ahorro_instances_deliver_every_order_exactly_once() {
    let Some(_) = multi_instance_env() else { return };
    let ahorro_db = TestDb::new(Backend::Postgres).await;
    let tickets_db = TestDb::new(Backend::Postgres).await;
    let tickets_port = free_port();
    let tickets_url = format!("http://127.0.0.1:{tickets_port}");
    // Two processes on one database, started together; Tickets is down.
    let (one, two) = tokio::join!(
        ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &tickets_url, &[]),
        ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &tickets_url, &[])
    );

    let answers = join_all((0..100).map(|i| {
        let url = if i % 2 == 0 { one.url.clone() } else { two.url.clone() };
        async move { checkout(&url, &checkout_body(i, &[((i % 30) as i64 + 1, 1)])).await }
    }))
    .await;
    let numeros: Vec<String> = answers
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 200, "{answer}");
            answer["pedido"]["numero"].as_str().unwrap().to_owned()
        })
        .collect();

    // Tickets comes back: every order arrives once.
    let tickets = Tickets::start(&tickets_db, tickets_port, &one.url).await;
    let arrived =
        eventually(Duration::from_secs(60), || async { tickets.tickets_all().await.len() >= numeros.len() }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stored = tickets.tickets_all().await;
    assert!(arrived, "only {} of {} orders arrived", stored.len(), numeros.len());
    assert_exactly_once(&stored, &numeros);

    // And each was sent successfully once: the two instances never both
    // delivered the same row (Tickets' idempotency would hide that above).
    let delivered = |url: String| async move {
        metric_sum(&url, "outbox_delivery_attempts_total", &[("service", "ahorro"), ("outcome", "delivered")]).await
    };
    let (by_one, by_two) = (delivered(one.url.clone()).await, delivered(two.url.clone()).await);
    assert_eq!(by_one + by_two, numeros.len() as f64, "deliveries: {by_one} + {by_two}");
    eprintln!("two Ahorro instances: {} orders, delivered {by_one} + {by_two}, 0 lost, 0 doubled", numeros.len());
    tickets.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_or_an_account_change_on_one_instance_disconnects_sockets_on_the_other() {
    let Some(redis) = multi_instance_env() else { return };
    let db = TestDb::new(Backend::Postgres).await;
    let ahorro_url = format!("http://127.0.0.1:{}", free_port());
    let extra = [("REDIS_URL", redis.as_str())];
    // One after the other: this test is about what happens once both run.
    let a = Tickets::start_with(&db, 0, &ahorro_url, &extra).await;
    let b = Tickets::start_with(&db, 0, &ahorro_url, &extra).await;
    let b_port = port_of(&b.url);
    // Sessions live in the shared database: logged in on A, connected to B.
    let leaving = DeskSession::login(&a.url, "admin@belgrano.local", "demo1234").await;
    let staying = DeskSession::login(&b.url, "admin@belgrano.local", "demo1234").await;
    let courier = DeskSession::login(&a.url, "repartidor1@belgrano.local", "demo1234").await;
    let mut leaving_on_b = leaving.socket(b_port).await;
    let mut staying_on_b = staying.socket(b_port).await;
    let mut courier_on_b = courier.socket(b_port).await;
    let mut staying_on_a = staying.socket(port_of(&a.url)).await;

    // A logout on A disconnects that session's socket on B, and only it.
    assert_eq!(leaving.post(&a.url, "/logout", &[]).await, 303);
    assert_disconnected(&mut leaving_on_b, "sesion-cerrada", Duration::from_secs(5)).await;
    assert_live(&mut staying_on_b).await;
    assert_live(&mut courier_on_b).await;

    // Despacho pauses the courier on A: the courier's socket on B goes.
    let id = staying.courier_id(&a.url, "repartidor1@belgrano.local").await;
    assert_eq!(staying.post(&a.url, &format!("/repartidores/{id}/disponible"), &[("disponible", "no")]).await, 303);
    assert_disconnected(&mut courier_on_b, "cuenta-modificada", Duration::from_secs(5)).await;

    // And a new password set on A ends the courier's sessions everywhere.
    let mut courier_on_b = courier.socket(b_port).await;
    let fields = [("nombre", "Repartidor1"), ("email", "repartidor1@belgrano.local"), ("password", "clave-nueva-1")];
    assert_eq!(staying.post(&a.url, &format!("/repartidores/{id}"), &fields).await, 303);
    assert_disconnected(&mut courier_on_b, "sesion-cerrada", Duration::from_secs(5)).await;

    // Everyone else still hears the desk, on both instances.
    post_ticket(&reqwest::Client::new(), &a, "MI-SESSION-1").await;
    for board in [&mut staying_on_b, &mut staying_on_a] {
        assert_eq!(heard(board, 1).await.get("MI-SESSION-1"), Some(&1));
    }
    a.stop().await;
    b.stop().await;
}
