//! SIGTERM, as Render sends it before a deploy or a scale-down, to the real
//! binaries: each service stops accepting at once, finishes the requests
//! and the deliveries it has in flight, closes its streams and sockets, and
//! exits 0. A slow link in front of the other service keeps a delivery in
//! flight when the signal comes.

use std::time::{Duration, Instant};

use belgrano_e2e::*;
use belgrano_testkit::socket_client::{Connect, SocketClient};
use serde_json::json;

const AHORRO_BIN: &str = env!("CARGO_BIN_EXE_ahorro_e2e");
const TICKETS_BIN: &str = env!("CARGO_BIN_EXE_tickets_e2e");

/// The slow link's delay: longer than a checkout waits for Tickets (2 s),
/// so the delivery is still on its way after the checkout has answered.
const SLOW: Duration = Duration::from_millis(2500);
/// When the signal comes, after the request it should catch in flight.
const SIGNAL_AFTER: Duration = Duration::from_millis(300);

async fn refuses_connections(url: &str) -> bool {
    reqwest::Client::new().get(url).send().await.is_err_and(|e| e.is_connect())
}

/// Reads an event stream until it ends; `false` if it is still open after `within`.
async fn stream_ends(stream: &mut reqwest::Response, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_ahorro_finish_its_checkout_and_its_delivery_in_flight() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
        let slow = SlowLink::start(&tickets.url, SLOW).await;
        let mut ahorro = ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &slow.url, &[]).await;
        let client = reqwest::Client::new();

        // A customer is watching an earlier order's tracking stream.
        let (status, first) = checkout(&ahorro.url, &checkout_body(1, &[(1, 1)])).await;
        assert_eq!(status, 200, "{first}");
        let link = tracking_link(&ahorro.url, &first);
        let mut stream =
            client.get(format!("{link}/eventos")).header("Accept", "text/event-stream").send().await.unwrap();
        assert_eq!(stream.status(), 200);
        let opening = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await.unwrap().unwrap().unwrap();
        assert!(String::from_utf8_lossy(&opening).contains("event: estado"), "the stream opens with the current state");

        // Another checkout is in flight when the signal comes.
        let in_flight = tokio::spawn({
            let url = ahorro.url.clone();
            async move { checkout(&url, &checkout_body(2, &[(2, 1)])).await }
        });
        tokio::time::sleep(SIGNAL_AFTER).await;
        let signalled = Instant::now();
        ahorro.terminate();

        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            refuses_connections(&format!("{}/healthz", ahorro.url)).await,
            "{backend:?}: new connections are refused once stopping"
        );
        let (status, second) = in_flight.await.unwrap();
        assert_eq!(status, 200, "{backend:?}: the checkout in flight is answered: {second}");
        assert!(
            stream_ends(&mut stream, Duration::from_secs(5)).await,
            "{backend:?}: the open tracking stream is closed"
        );
        let exit = ahorro.exited_within(Duration::from_secs(15)).await.expect("Ahorro exits after SIGTERM");
        let stopped_in = signalled.elapsed();
        assert!(exit.success(), "{backend:?}: {exit}");

        // The delivery that was on its way was finished, not dropped: both
        // orders are at Tickets already, once each, with no restart.
        let numeros: Vec<String> =
            [&first, &second].iter().map(|a| a["pedido"]["numero"].as_str().unwrap().to_owned()).collect();
        assert_exactly_once(&tickets.tickets().await, &numeros);
        // And its outcome was recorded: a new instance with Tickets out of
        // reach has nothing left to send.
        drop(slow);
        let again = ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, "http://127.0.0.1:9", &[]).await;
        assert_eq!(
            metric_sum(&again.url, "outbox_pending", &[("service", "ahorro")]).await,
            0.0,
            "{backend:?}: nothing left in the outbox"
        );
        eprintln!(
            "[{backend:?}] Ahorro SIGTERM: exit 0 in {stopped_in:?}, checkout in flight answered, delivery in flight delivered once"
        );
        drop(again);
        tickets.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_tickets_finish_its_update_in_flight_and_closes_the_boards() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let tickets_port = free_port();
        let ahorro = Ahorro::start(&ahorro_db, &format!("http://127.0.0.1:{tickets_port}"), &[]).await;
        let slow = SlowLink::start(&ahorro.url, SLOW).await;
        let mut tickets = ServiceProcess::spawn_tickets(TICKETS_BIN, &tickets_db, tickets_port, &slow.url, &[]).await;
        let mut board = match SocketClient::connect(tickets_port, Some(json!({"api_key": API_KEY})), &[]).await {
            Connect::Accepted(client) => client,
            Connect::Refused(error, _) => panic!("the board is refused: {error}"),
        };

        let (status, answer) = checkout(&ahorro.url, &checkout_body(1, &[(1, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
        let link = tracking_link(&ahorro.url, &answer);
        let arrived = eventually(Duration::from_secs(10), || async {
            tickets_at(&tickets.url).await.iter().any(|t| t["numero"] == numero)
        })
        .await;
        assert!(arrived, "{backend:?}: the order reaches Tickets");
        let ticket = tickets_at(&tickets.url).await.into_iter().find(|t| t["numero"] == numero).unwrap();
        // Earlier updates (the courier's assignment) have gone back first.
        let settled = eventually(Duration::from_secs(15), || async {
            metric_sum(&tickets.url, "outbox_pending", &[("service", "tickets")]).await == 0.0
        })
        .await;
        assert!(settled, "{backend:?}: Tickets' outbox empties");

        // A dispatcher moves the ticket; the update to Ahorro is on the slow link when the signal comes.
        patch_ticket(&tickets.url, &ticket["id"], json!({"estado": "en-preparacion"})).await;
        tokio::time::sleep(SIGNAL_AFTER).await;
        let signalled = Instant::now();
        tickets.terminate();

        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            refuses_connections(&format!("{}/health", tickets.url)).await,
            "{backend:?}: new connections are refused once stopping"
        );
        assert!(board.closed_within(Duration::from_secs(5)).await, "{backend:?}: the board's socket is closed");
        let exit = tickets.exited_within(Duration::from_secs(15)).await.expect("Tickets exits after SIGTERM");
        let stopped_in = signalled.elapsed();
        assert!(exit.success(), "{backend:?}: {exit}");

        // The update that was on its way reached the customer before the exit.
        let (_, tracked) = tracking_json(&link).await;
        assert_eq!(tracked["estado"], "en-preparacion", "{backend:?}: the update in flight was delivered: {tracked}");
        eprintln!("[{backend:?}] Tickets SIGTERM: exit 0 in {stopped_in:?}, board closed, update in flight delivered");
        ahorro.stop().await;
    }
}
