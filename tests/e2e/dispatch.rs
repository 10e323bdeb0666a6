//! The dispatch desk end to end, both real services over real HTTP: a
//! checkout in Ahorro appears on a connected dispatcher client; the
//! ticket's way to `entregado` shows on the customer's tracking link;
//! anonymous sockets hear nothing.

use std::time::Duration;

use belgrano_e2e::*;
use belgrano_testkit::socket_client::{Connect, SocketClient};
use serde_json::json;

/// Both services wired to each other: Tickets posts status to this Ahorro.
async fn system(backend: Backend) -> (TestDb, TestDb, Tickets, Ahorro) {
    let tickets_db = TestDb::new(backend).await;
    let ahorro_db = TestDb::new(backend).await;
    let ahorro_port = free_port().to_string();
    let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{ahorro_port}")).await;
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[("PORT", ahorro_port.as_str())]).await;
    (tickets_db, ahorro_db, tickets, ahorro)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_appears_on_a_connected_dispatcher_client() {
    for backend in Backend::available() {
        let (_t, _a, tickets, ahorro) = system(backend).await;
        let Connect::Accepted(mut board) =
            SocketClient::connect(port_of(&tickets.url), Some(json!({"api_key": API_KEY})), &[]).await
        else {
            panic!("the board connects")
        };
        let Connect::Refused(_, mut anonymous) = SocketClient::connect(port_of(&tickets.url), None, &[]).await else {
            panic!("an anonymous client is refused")
        };

        let (status, answer) = checkout(&ahorro.url, &checkout_body(1, &[(1, 2), (5, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
        let (name, event) = board.next_event(Duration::from_secs(10)).await.expect("the board hears the new ticket");
        assert_eq!(name, "nuevo_ticket");
        assert_eq!(event["numero"], numero);
        assert_eq!(event["total"], answer["pedido"]["total"]);
        assert_eq!(event["productos_count"], 2);
        assert!(event["repartidor"].is_string(), "assigned on intake");
        assert!(anonymous.drain(Duration::from_millis(300)).await.is_empty(), "{backend:?}: anonymous hears nothing");

        ahorro.stop().await;
        tickets.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_way_to_entregado_shows_on_the_tracking_link() {
    for backend in Backend::available() {
        let (_t, _a, tickets, ahorro) = system(backend).await;
        let (status, answer) = checkout(&ahorro.url, &checkout_body(2, &[(3, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
        let seguimiento = tracking_link(&ahorro.url, &answer);
        let (code, tracked) = tracking_json(&seguimiento).await;
        assert_eq!(code, 200);
        assert_eq!(tracked["numero"], numero);
        assert_eq!(tracked["estado"], "pendiente");

        let ticket = tickets.tickets().await.into_iter().find(|t| t["numero"] == numero).expect("the ticket");
        for estado in ["en-preparacion", "en-camino", "entregado"] {
            patch_ticket(&tickets.url, &ticket["id"], json!({"estado": estado})).await;
        }
        let delivered = eventually(Duration::from_secs(20), || async {
            tracking_json(&seguimiento).await.1["estado"] == "entregado"
        })
        .await;
        assert!(delivered, "{backend:?}: the tracking link shows entregado: {}", tracking_json(&seguimiento).await.1);
        let page = reqwest::get(&seguimiento).await.unwrap().text().await.unwrap();
        assert!(page.contains("Entregado") && page.contains(&numero), "the page for people says so too");

        // An invalid move is refused at Tickets and changes nothing for the customer.
        let refused = reqwest::Client::new()
            .patch(format!("{}/api/tickets/{}", tickets.url, ticket["id"]))
            .header("X-API-Key", API_KEY)
            .json(&json!({"estado": "en-camino"}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 409);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(tracking_json(&seguimiento).await.1["estado"], "entregado");

        // A tampered link shows nothing.
        let mut tampered = seguimiento.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'a' { 'b' } else { 'a' });
        let (code, body) = tracking_json(&tampered).await;
        assert_eq!(code, 404);
        assert!(!body.to_string().contains(&numero));

        ahorro.stop().await;
        tickets.stop().await;
    }
}

/// Benchmark, not a test (ignored; run it with
/// `cargo test --release -p belgrano-e2e --test dispatch -- --ignored --nocapture`):
/// how long a new order takes from the start of its checkout in Ahorro to
/// its `nuevo_ticket` on a connected board, over 100 orders placed one
/// after another. Prints p50/p99; asserts only that every order arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn checkout_to_board_latency() {
    let (_t, _a, tickets, ahorro) = system(Backend::Sqlite).await;
    let Connect::Accepted(mut board) =
        SocketClient::connect(port_of(&tickets.url), Some(json!({"api_key": API_KEY})), &[]).await
    else {
        panic!("the board connects")
    };
    let mut latencies = Vec::with_capacity(100);
    for n in 0..100 {
        let started = std::time::Instant::now();
        let (status, answer) = checkout(&ahorro.url, &checkout_body(n, &[(1 + (n as i64 % 20), 1)])).await;
        assert_eq!(status, 200, "{answer}");
        let numero = answer["pedido"]["numero"].clone();
        loop {
            let (name, event) = board.next_event(Duration::from_secs(10)).await.expect("the ticket reaches the board");
            if name == "nuevo_ticket" && event["numero"] == numero {
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "checkout → board, 100 orders: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(latencies[49]),
        ms(latencies[98]),
        ms(latencies[99])
    );
    ahorro.stop().await;
    tickets.stop().await;
}
