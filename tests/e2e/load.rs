//! A rough checkout load run (ignored by default): both services in this
//! process on SQLite, `LOAD_CLIENTS` concurrent clients (default 32)
//! posting `POST /api/checkout` for `LOAD_SECS` seconds (default 5);
//! `CHECKOUT_WAIT_MS` as in production (default 2000).
//! Prints throughput and p50/p99, then checks that every order became
//! exactly one ticket.
//!
//! `cargo test --release -p belgrano-e2e --test load -- --ignored --nocapture`

use std::sync::Arc;
use std::time::{Duration, Instant};

use belgrano_e2e::*;
use tokio::sync::Mutex;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a check: run it on purpose"]
async fn checkout_throughput() {
    let clients = env_or("LOAD_CLIENTS", 32) as usize;
    let duration = Duration::from_secs(env_or("LOAD_SECS", 5));
    let tickets_db = TestDb::new(Backend::Sqlite, "tickets").await;
    let ahorro_db = TestDb::new(Backend::Sqlite, "ahorro").await;
    let tickets = Tickets::start(&tickets_db, 0, "http://127.0.0.1:9").await;
    let wait = std::env::var("CHECKOUT_WAIT_MS").unwrap_or_else(|_| "2000".into());
    let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[("CHECKOUT_WAIT_MS", wait.as_str())]).await;
    // Enough stock for any run.
    let pool = sqlx::SqlitePool::connect(&ahorro_db.url).await.unwrap();
    sqlx::query("UPDATE productos SET stock = 1000000000").execute(&pool).await.unwrap();
    pool.close().await;

    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let numeros = Arc::new(Mutex::new(Vec::<String>::new()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (url, latencies, numeros, errors) = (ahorro.url.clone(), latencies.clone(), numeros.clone(), errors.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut mine = Vec::new();
                let mut nums = Vec::new();
                let mut i = 0;
                while started.elapsed() < duration {
                    let body = checkout_body(c * 1_000_000 + i, &[((i % 30) as i64 + 1, 1), ((i % 7) as i64 + 40, 2)]);
                    let t = Instant::now();
                    let response = client.post(format!("{url}/api/checkout")).json(&body).send().await;
                    match response {
                        Ok(r) if r.status() == 200 => {
                            let v: serde_json::Value = r.json().await.unwrap();
                            mine.push(t.elapsed());
                            nums.push(v["pedido"]["numero"].as_str().unwrap().to_owned());
                        }
                        _ => {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    i += 1;
                }
                latencies.lock().await.extend(mine);
                numeros.lock().await.extend(nums);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let mut l = latencies.lock().await.clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    eprintln!(
        "checkouts: {} in {:.1} s = {:.0}/s, p50 {:?}, p99 {:?}, errors {}",
        l.len(),
        elapsed.as_secs_f64(),
        l.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
    let numeros = numeros.lock().await.clone();
    let arrived = eventually(Duration::from_secs(60), || async { tickets.tickets_all().await.len() >= numeros.len() }).await;
    let all = tickets.tickets_all().await;
    assert!(arrived, "{} of {} arrived", all.len(), numeros.len());
    assert_exactly_once(&all, &numeros);
    eprintln!("tickets: {} (0 lost, 0 doubled)", all.len());
    ahorro.stop().await;
    tickets.stop().await;
}
