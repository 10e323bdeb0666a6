//! CPU per order, end to end: a fixed number of orders (10,000; 200 with
//! `--smoke`) through everything an order causes, both release binaries on
//! SQLite, e-mail through a real SMTP server (aiosmtpd, as in the tests):
//!
//! 1. guests' checkouts (`POST /api/checkout`, 32 connections): the order,
//!    its confirmation e-mail, its delivery to Tickets (intake, courier
//!    assignment, `nuevo_ticket` on the live board);
//! 2. each ticket moved by the desk through `en-preparacion`, `en-camino`
//!    and `entregado` (`PATCH /api/tickets/{id}`): each change is a board
//!    event and a status notification back to Ahorro, which updates the
//!    order and e-mails the customer (`en-camino`, `entregado`).
//!
//! The run ends when every order is `entregado` in Ahorro and both services'
//! outboxes and mail queues are empty; both services' CPU time from the
//! first checkout to then, divided by the orders, is the figure.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use belgrano_testkit::smtp::SmtpServer;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, header};

use super::checkout::{Checkouts, ahorro_spec, unlimited_stock};
use super::tickets::{API_KEY, tickets_spec};
use super::{Plan, Report, Storage};
use crate::client::{self, Connection};
use crate::load::{Workload, percentile_ms};
use crate::measure::CpuWindow;
use crate::report::Row;
use crate::server::{Server, free_port};

pub const TARGET: &str = "Orders end to end (checkout → ticket → 3 changes → back, e-mails)";

pub const REFERENCE: &str = "Goal (issue 17): at most 600 µs of CPU per order for both services together, every step \
    included (10,000 orders a minute on a tenth of a CPU). (requests/s in that row is orders/s over the whole run, \
    p50/p99 are the checkouts'; CPU per request is both services' CPU per order.)";

/// Orders in a full run, as the issue asks.
pub const ORDERS: u64 = 10_000;
/// Orders with `--smoke`.
pub const SMOKE_ORDERS: u64 = 200;
/// The desk's changes after intake, in order.
const CHANGES: [&str; 3] = ["en-preparacion", "en-camino", "entregado"];
/// How long everything may take to settle after the last change.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs `work(i)` for `i` in `0..n` over `connections` keep-alive
/// connections to `addr`; returns the latencies (µs) and the failures.
async fn drive<F>(addr: SocketAddr, connections: usize, n: u64, work: F) -> (Vec<u32>, Vec<String>)
where
    F: Fn(u64) -> hyper::Request<client::Body> + Send + Sync + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let work = Arc::new(work);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (next, work) = (next.clone(), work.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = Vec::new();
                let mut conn = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    if conn.is_none() {
                        conn = Connection::open(addr).await.ok();
                    }
                    let Some(c) = conn.as_mut() else {
                        failures.push(format!("#{i}: could not connect"));
                        continue;
                    };
                    let sent = Instant::now();
                    match c.send(work(i)).await {
                        Ok((status, _)) if status.is_success() => {
                            latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        }
                        Ok((status, body)) => {
                            let text: String = String::from_utf8_lossy(&body).chars().take(80).collect();
                            failures.push(format!("#{i}: HTTP {status} {text}"));
                        }
                        Err(e) => {
                            conn = None;
                            failures.push(format!("#{i}: {e}"));
                        }
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::new(), Vec::new());
    for task in tasks {
        let (l, f) = task.await.unwrap_or_default();
        latencies.extend(l);
        failures.extend(f);
    }
    latencies.sort_unstable();
    (latencies, failures)
}

/// What is still on its way, read from both databases.
#[derive(Debug, PartialEq)]
struct Settled {
    tickets: u64,
    delivered_orders: u64,
    outboxes_pending: u64,
    mails_pending: u64,
    mails_sent: u64,
}

/// Both services' SQLite files, opened read-only once for the polling.
struct Databases {
    tickets: sqlx::SqlitePool,
    ahorro: sqlx::SqlitePool,
}

/// Per database: its count of what the run is waiting for, then its
/// pending outbox rows, pending mails and sent mails, in one read.
const TICKETS_STATE: &str = "SELECT (SELECT COUNT(*) FROM tickets), \
    (SELECT COUNT(*) FROM notify_outbox WHERE status = 'pending'), \
    (SELECT COUNT(*) FROM correos WHERE status = 'pending'), (SELECT COUNT(*) FROM correos WHERE status = 'delivered')";
const AHORRO_STATE: &str = "SELECT (SELECT COUNT(*) FROM pedidos WHERE ticket_estado = 'entregado'), \
    (SELECT COUNT(*) FROM outbox WHERE status = 'pending'), \
    (SELECT COUNT(*) FROM correos WHERE status = 'pending'), (SELECT COUNT(*) FROM correos WHERE status = 'delivered')";

impl Databases {
    async fn open(tickets: &Server, ahorro: &Server) -> anyhow::Result<Self> {
        let open = |dir: &Path, file: &str| {
            let url = format!("sqlite://{}?mode=ro", dir.join(file).display());
            async move { sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(&url).await }
        };
        Ok(Databases {
            tickets: open(tickets.dir(), "tickets.db").await?,
            ahorro: open(ahorro.dir(), "ahorro.db").await?,
        })
    }

    async fn settled(&self) -> anyhow::Result<Settled> {
        type Counts = (i64, i64, i64, i64);
        let (t, t_outbox, t_pending, t_sent): Counts = sqlx::query_as(TICKETS_STATE).fetch_one(&self.tickets).await?;
        let (a, a_outbox, a_pending, a_sent): Counts = sqlx::query_as(AHORRO_STATE).fetch_one(&self.ahorro).await?;
        let n = |v: i64| v as u64;
        Ok(Settled {
            tickets: n(t),
            delivered_orders: n(a),
            outboxes_pending: n(t_outbox + a_outbox),
            mails_pending: n(t_pending + a_pending),
            mails_sent: n(t_sent + a_sent),
        })
    }

    /// Polls until `done` holds (or the timeout passes); returns the last state.
    async fn wait_until(&self, done: impl Fn(&Settled) -> bool) -> anyhow::Result<(Settled, bool)> {
        let started = Instant::now();
        loop {
            let state = self.settled().await?;
            if done(&state) {
                return Ok((state, true));
            }
            if started.elapsed() > SETTLE_TIMEOUT {
                return Ok((state, false));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn close(self) {
        self.tickets.close().await;
        self.ahorro.close().await;
    }
}

fn patch(addr: SocketAddr, id: u64, estado: &str) -> hyper::Request<client::Body> {
    client::request(Method::PATCH, addr, &format!("/api/tickets/{id}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", API_KEY)
        .body(Full::new(Bytes::from(format!("{{\"estado\":\"{estado}\"}}"))))
        .expect("valid request")
}

pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let orders = plan.orders;
    eprintln!("orders end to end: {orders} orders");
    if !SmtpServer::available() {
        anyhow::bail!("the orders scenario needs python3-aiosmtpd (apt install python3-aiosmtpd)");
    }
    let smtp = SmtpServer::start().await;
    let ahorro_port = free_port()?;
    let mut tickets_spec = tickets_spec(plan, Some("warn"), &Storage::Sqlite);
    tickets_spec.env.retain(|(k, _)| k != "BELGRANO_AHORRO_URL");
    tickets_spec.env.push(("BELGRANO_AHORRO_URL".to_owned(), format!("http://127.0.0.1:{ahorro_port}")));
    tickets_spec.env.push(("SMTP_URL".to_owned(), smtp.url()));
    let mut tickets = Server::start(&tickets_spec).await?;
    let mut ahorro_spec = ahorro_spec(plan, tickets.addr, &Storage::Sqlite);
    ahorro_spec.port = Some(ahorro_port);
    ahorro_spec.env.push(("SMTP_URL".to_owned(), smtp.url()));
    let mut ahorro = Server::start(&ahorro_spec).await?;
    unlimited_stock(&ahorro, &Storage::Sqlite).await?;
    let databases = Databases::open(&tickets, &ahorro).await?;

    let cpu = |t: &Server, a: &Server| -> anyhow::Result<(Duration, Duration)> { Ok((t.cpu_time()?, a.cpu_time()?)) };
    let (tickets_before, ahorro_before) = cpu(&tickets, &ahorro)?;
    let window = CpuWindow::start()?;
    let started = Instant::now();

    let ahorro_addr = ahorro.addr;
    let (checkout_latencies, mut failures) =
        drive(ahorro_addr, plan.config.connections, orders, move |i| Checkouts.request(ahorro_addr, 0, i)).await;
    let checkouts_ok = checkout_latencies.len() as u64;
    let (arrived, complete) = databases.wait_until(|s| s.tickets >= checkouts_ok).await?;
    if !complete {
        failures.push(format!("only {} of {checkouts_ok} orders became tickets", arrived.tickets));
    }
    let (tickets_mid, ahorro_mid) = cpu(&tickets, &ahorro)?;
    let intake_done = started.elapsed();

    let tickets_addr = tickets.addr;
    for estado in CHANGES {
        // Ticket ids count from 1 in the fresh database.
        let changing = Instant::now();
        let (latencies, f) =
            drive(tickets_addr, plan.config.connections, arrived.tickets, move |i| patch(tickets_addr, i + 1, estado))
                .await;
        eprintln!(
            "    {estado}: {} changes in {:.1} s, p50 {:.1} ms, p99 {:.1} ms",
            latencies.len(),
            changing.elapsed().as_secs_f64(),
            percentile_ms(&latencies, 50.0),
            percentile_ms(&latencies, 99.0)
        );
        failures.extend(f);
    }
    let (end, complete) = databases
        .wait_until(|s| s.delivered_orders >= checkouts_ok && s.outboxes_pending == 0 && s.mails_pending == 0)
        .await?;
    let (tickets_after, ahorro_after) = cpu(&tickets, &ahorro)?;
    // The SMTP server counts among the others here.
    let spent = window.end((tickets_after - tickets_before) + (ahorro_after - ahorro_before))?;
    let (wall, others_cores) = (spent.wall, spent.others_cores);
    if !complete {
        failures.push(format!("not settled after {SETTLE_TIMEOUT:?}: {end:?}"));
    }
    let received = smtp.count() as u64;
    if received != end.mails_sent {
        failures.push(format!("{} mails marked sent but the SMTP server received {received}", end.mails_sent));
    }
    databases.close().await;
    let peak_rss = tickets.peak_rss_bytes()?.max(ahorro.peak_rss_bytes()?);
    tickets.stop().await?;
    ahorro.stop().await?;

    let n = checkouts_ok.max(1) as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
    let first = (us(ahorro_mid - ahorro_before), us(tickets_mid - tickets_before));
    let second = (us(ahorro_after - ahorro_mid), us(tickets_after - tickets_mid));
    let total = first.0 + first.1 + second.0 + second.1;
    let percentile = |p: f64| percentile_ms(&checkout_latencies, p);
    eprintln!(
        "  {TARGET}: {checkouts_ok} orders in {:.1} s (tickets in after {:.1} s); {} mails sent, {received} received; {} failures",
        wall.as_secs_f64(),
        intake_done.as_secs_f64(),
        end.mails_sent,
        failures.len()
    );
    for failure in failures.iter().take(10) {
        eprintln!("    FAILED: {failure}");
    }
    if !failures.is_empty() {
        eprintln!("    Tickets' log tail:\n{}\n    Ahorro's log tail:\n{}", tickets.log_tail(10), ahorro.log_tail(10));
    }
    let row = Row {
        target: TARGET.to_owned(),
        requests_per_second: checkouts_ok as f64 / wall.as_secs_f64(),
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
        errors: failures.len() as u64,
        peak_rss_mb: peak_rss as f64 / (1024.0 * 1024.0),
        server_cpu_us_per_request: total,
        others_cores,
    };
    let notes = vec![format!(
        "CPU per order end to end, both services: {total:.0} µs over {checkouts_ok} orders: checkout and intake {:.0} µs \
         (Ahorro {:.0} + Tickets {:.0}), then three desk changes each with its notification back and two e-mails {:.0} µs \
         (Tickets {:.0} + Ahorro {:.0}); {:.1} e-mails per order through SMTP. A tenth of a CPU sustains {:.0} orders \
         a minute (goal 10,000, ≤ 600 µs).",
        first.0 + first.1,
        first.0,
        first.1,
        second.0 + second.1,
        second.1,
        second.0,
        received as f64 / n,
        0.1 * 60e6 / total,
    )];
    Ok(Report { rows: vec![row], notes })
}
