//! Tickets down, Tickets restarted, Ahorro killed with SIGKILL: checkouts
//! stay fast, and every committed order reaches Tickets exactly once.

use std::time::{Duration, Instant};

use belgrano_e2e::*;

const AHORRO_BIN: &str = env!("CARGO_BIN_EXE_ahorro_e2e");

async fn checkouts(ahorro_url: &str, from: usize, n: usize) -> Vec<String> {
    let mut numeros = Vec::new();
    for i in from..from + n {
        let started = Instant::now();
        let (status, answer) = checkout(ahorro_url, &checkout_body(i, &[((i % 30) as i64 + 1, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        assert!(started.elapsed() < Duration::from_secs(1), "checkout took {:?} with Tickets down", started.elapsed());
        numeros.push(answer["pedido"]["numero"].as_str().unwrap().to_owned());
    }
    numeros
}

async fn all_arrive(tickets_url: &str, numeros: &[String], within: Duration) {
    let arrived = eventually(within, || async { tickets_at(tickets_url).await.len() >= numeros.len() }).await;
    // Let any duplicate that was in flight land before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = tickets_at(tickets_url).await;
    assert!(arrived, "only {} of {} orders arrived", all.len(), numeros.len());
    assert_exactly_once(&all, numeros);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_taken_while_tickets_is_down_arrive_once_it_is_back() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let tickets_port = free_port();
        let tickets_url = format!("http://127.0.0.1:{tickets_port}");
        let ahorro = Ahorro::start(&ahorro_db, &tickets_url, &[]).await;

        // Tickets has not started yet.
        let mut numeros = checkouts(&ahorro.url, 0, 15).await;
        let tickets = Tickets::start(&tickets_db, tickets_port, &ahorro.url).await;
        all_arrive(&tickets_url, &numeros, Duration::from_secs(30)).await;

        // Tickets stops again; more orders; it comes back on the same data.
        tickets.stop().await;
        numeros.extend(checkouts(&ahorro.url, 15, 10).await);
        let tickets = Tickets::start(&tickets_db, tickets_port, &ahorro.url).await;
        all_arrive(&tickets_url, &numeros, Duration::from_secs(30)).await;
        eprintln!("[{backend:?}] outage: {} orders, 0 lost, 0 doubled", numeros.len());

        ahorro.stop().await;
        tickets.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_of_ahorro_loses_nothing() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let tickets_port = free_port();
        let tickets_url = format!("http://127.0.0.1:{tickets_port}");
        let env = [("OUTBOX_LEASE_SECS", "2"), ("CHECKOUT_WAIT_MS", "0")];

        // 1. Orders committed while Tickets is down, then SIGKILL.
        let ahorro = ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &tickets_url, &env).await;
        let mut numeros = checkouts(&ahorro.url, 0, 10).await;
        ahorro.kill9();

        // 2. Tickets up; a burst of orders; SIGKILL while deliveries are in flight.
        let tickets = Tickets::start(&tickets_db, tickets_port, "http://127.0.0.1:9").await;
        let ahorro = ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &tickets_url, &env).await;
        let burst = futures_util_join(&ahorro.url, 100, 30).await;
        ahorro.kill9();
        numeros.extend(burst);

        // 3. Restart: everything committed arrives, once.
        let ahorro = ServiceProcess::spawn_ahorro(AHORRO_BIN, &ahorro_db, &tickets_url, &env).await;
        all_arrive(&tickets_url, &numeros, Duration::from_secs(40)).await;
        eprintln!("[{backend:?}] kill -9: {} orders, 0 lost, 0 doubled", numeros.len());
        ahorro.kill9();
        tickets.stop().await;
    }
}

/// `n` checkouts at once; the numbers of those that were committed.
async fn futures_util_join(ahorro_url: &str, from: usize, n: usize) -> Vec<String> {
    let tasks: Vec<_> = (from..from + n)
        .map(|i| {
            let url = ahorro_url.to_owned();
            tokio::spawn(async move { checkout(&url, &checkout_body(i, &[((i % 30) as i64 + 1, 1)])).await })
        })
        .collect();
    let mut numeros = Vec::new();
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, 200, "{answer}");
        numeros.push(answer["pedido"]["numero"].as_str().unwrap().to_owned());
    }
    numeros
}
