//! Ahorro's checkout end to end (issue 3): guests' `POST /api/checkout`
//! through the release `ahorro` binary, each order delivered over real HTTP
//! to the release `tickets` binary, both on fresh SQLite files; and Ahorro's
//! home page (`GET /`) under the same load.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use super::tickets::{prefill_tickets, tickets_spec};
use super::{Plan, Report, Storage, describe, median_rows, prefill};
use crate::client::{self, Body};
use crate::load::{LoadResult, Workload};
use crate::measure::{Measurement, measure_with, nothing_to_prepare};
use crate::postgres;
use crate::server::{Server, ServerSpec};

use super::tickets::API_KEY;

pub const CHECKOUT_TARGET: &str = "Ahorro checkout, delivered to Tickets";
pub const CHECKOUT_PREFILLED_TARGET: &str = "Ahorro checkout, prefilled databases";
pub const HOME_TARGET: &str = "Ahorro home page (GET /)";
pub const PRODUCT_TARGET: &str = "Ahorro product page (GET /producto/{id})";

pub const REFERENCE: &str = "Goals (issue 17, this 2-core machine): 3,000 checkouts/s end to end with p99 under 50 ms \
    and under 50 MB per service, within 10 % on prefilled databases; home page 10,000/s; at most 600 µs of CPU per order \
    for both services together (10,000 orders a minute on a tenth of a CPU). Issue 17 opened at 1,221 checkouts/s, \
    p99 53.5 ms, 817 µs of Ahorro CPU per order; home page 3,020/s.";

/// How long the verification waits for the outbox to drain into Tickets.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// Guest checkouts of two catalogue products; the customer changes with
/// every request.
pub struct Checkouts;

impl Workload for Checkouts {
    fn request(&self, addr: SocketAddr, conn: usize, seq: u64) -> Request<Body> {
        let n = seq as usize;
        let body = json!({
            "cliente": {"nombre": "Cliente", "apellido": format!("Carga {conn}-{seq}"), "email": format!("c{conn}.{seq}@example.com"), "telefono": "011-5555-0000"},
            "direccion": format!("Av. Cabildo {}", 100 + n % 4000),
            "metodo_pago": "efectivo",
            "notas": "",
            "items": [{"producto_id": n % 30 + 1, "cantidad": 1}, {"producto_id": n % 7 + 40, "cantidad": 2}],
        });
        client::request(Method::POST, addr, "/api/checkout")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("valid request")
    }

    /// 200 with the new order's number.
    fn check(&self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        if status != StatusCode::OK {
            let text: String = String::from_utf8_lossy(body).chars().take(60).collect();
            return Err(format!("HTTP {} {text}", status.as_u16()));
        }
        let answer: Value = serde_json::from_slice(body).map_err(|e| format!("200 with bad JSON: {e}"))?;
        if !answer["pedido"]["numero"].is_string() {
            return Err("200 without pedido.numero".to_owned());
        }
        Ok(())
    }
}

/// The shop's home page, as a browser asks for it.
pub struct HomePage;

impl Workload for HomePage {
    fn request(&self, addr: SocketAddr, _conn: usize, _seq: u64) -> Request<Body> {
        client::request(Method::GET, addr, "/")
            .header(header::ACCEPT, "text/html")
            .body(Body::default())
            .expect("valid request")
    }
}

/// Each of the seeded catalogue's product pages in turn.
pub struct ProductPages;

impl Workload for ProductPages {
    fn request(&self, addr: SocketAddr, _conn: usize, seq: u64) -> Request<Body> {
        client::request(Method::GET, addr, &format!("/producto/{}", seq % 137 + 1))
            .header(header::ACCEPT, "text/html")
            .body(Body::default())
            .expect("valid request")
    }
}

pub fn ahorro_spec(plan: &Plan, tickets: SocketAddr, storage: &Storage) -> ServerSpec {
    ServerSpec {
        program: plan.bin_dir.join("ahorro"),
        env: vec![
            ("RENDER_ENVIRONMENT".to_owned(), "development".to_owned()),
            ("BELGRANO_AHORRO_API_KEY".to_owned(), API_KEY.to_owned()),
            ("TICKETERA_URL".to_owned(), format!("http://{tickets}")),
            ("SECRET_KEY".to_owned(), "a-benchmark-secret-that-is-long-enough-0123456789".to_owned()),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ],
        env_remove: vec![],
        database: storage.database("ahorro.db"),
        health_path: "/healthz".to_owned(),
        port: None,
    }
}

/// Enough stock and delivery places for any run, written straight into
/// Ahorro's fresh database (neither is what this benchmark measures): the
/// flat `direccion` it posts takes the earliest open window, and the demo
/// windows hold 12 orders each.
pub async fn unlimited_stock(server: &Server, storage: &Storage) -> anyhow::Result<()> {
    match storage {
        Storage::Sqlite => {
            let url = format!("sqlite://{}", server.dir().join("ahorro.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await?;
            sqlx::query("UPDATE productos SET stock = 1000000000").execute(&pool).await?;
            sqlx::query("UPDATE franjas SET capacidad = 1000000000").execute(&pool).await?;
            pool.close().await;
        }
        Storage::Postgres { url } => {
            postgres::execute(url, "UPDATE ahorro.productos SET stock = 1000000000").await?;
            postgres::execute(url, "UPDATE ahorro.franjas SET capacidad = 1000000000").await?;
        }
    }
    Ok(())
}

/// [`unlimited_stock`] on a database that already holds `n` orders.
async fn prefilled_shop(server: &Server, n: i64) -> anyhow::Result<()> {
    let seconds = prefill::ahorro(&server.dir().join("ahorro.db"), n).await?;
    eprintln!("  prefilled {n} orders in {seconds:.1} s");
    unlimited_stock(server, &Storage::Sqlite).await
}

/// How many tickets Tickets holds beyond the `before` prefilled ones. On
/// SQLite, its newest id (ids count from 1 in a fresh database and never
/// skip); on PostgreSQL, where a sequence may skip, the rows themselves.
async fn tickets_stored(tickets: SocketAddr, storage: &Storage, before: u64) -> Result<u64, String> {
    if let Storage::Postgres { url } = storage {
        return Ok(postgres::count(url, "tickets.tickets").await.map_err(|e| e.to_string())?.saturating_sub(before));
    }
    let (status, body) =
        client::get(tickets, "/api/tickets?limit=1", &[("x-api-key", API_KEY)]).await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("GET /api/tickets answered {status}"));
    }
    let page: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok(page["tickets"][0]["id"].as_u64().unwrap_or(0).saturating_sub(before))
}

/// Every order answered 200 becomes exactly one ticket: the tickets
/// stored reach the number of 200s once Ahorro's outbox has drained, and
/// Ahorro has nothing pending.
async fn verify_delivered(
    ahorro: SocketAddr,
    tickets: SocketAddr,
    storage: &Storage,
    load: &LoadResult,
    before: u64,
) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let newest = tickets_stored(tickets, storage, before).await?;
        if newest > load.ok_total {
            return Err(format!("{newest} new tickets for {} orders answered 200", load.ok_total));
        }
        if newest == load.ok_total {
            let pending = outbox_pending(ahorro).await?;
            if pending == 0.0 {
                return Ok(format!(
                    "{newest} new tickets = {} orders answered 200, outbox empty {:.1} s after the load",
                    load.ok_total,
                    started.elapsed().as_secs_f64()
                ));
            }
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            return Err(format!(
                "after {DRAIN_TIMEOUT:?}: {newest} new tickets for {} orders answered 200",
                load.ok_total
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn outbox_pending(ahorro: SocketAddr) -> Result<f64, String> {
    let (_, body) = client::get(ahorro, "/metrics", &[("x-api-key", API_KEY)]).await.map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&body)
        .lines()
        .find(|l| l.starts_with("outbox_pending{"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .ok_or_else(|| "no outbox_pending in /metrics".to_owned())
}

async fn verify_page(addr: SocketAddr, path: &str) -> Result<String, String> {
    let (status, body) = client::get(addr, path, &[("accept", "text/html")]).await.map_err(|e| e.to_string())?;
    let html = String::from_utf8_lossy(&body);
    if status != StatusCode::OK || !html.contains("</html>") {
        return Err(format!("GET {path} answered {status}"));
    }
    Ok(format!("GET {path}: {:.1} KB of HTML", body.len() as f64 / 1024.0))
}

/// One round of checkouts against a Tickets of its own; the measurement
/// and both services' CPU time per order answered (Ahorro over the load,
/// Tickets from before the load until the outbox drained). `prefill` is
/// for SQLite only.
pub async fn checkouts_round(
    plan: &Plan,
    prefill: Option<prefill::Sizes>,
    storage: &Storage,
) -> anyhow::Result<(Measurement, f64, f64)> {
    let mut tickets = Server::start(&tickets_spec(plan, Some("warn"), storage)).await?;
    let before = match prefill {
        Some(sizes) => {
            prefill_tickets(&tickets, sizes.tickets).await?;
            sizes.tickets as u64
        }
        None => 0,
    };
    let tickets_addr = tickets.addr;
    let tickets_cpu_before = tickets.cpu_time()?;
    let verify = async |ahorro, load: &LoadResult| verify_delivered(ahorro, tickets_addr, storage, load, before).await;
    let spec = ahorro_spec(plan, tickets_addr, storage);
    let m = match prefill {
        Some(sizes) => {
            let prepare = async |server: &Server| prefilled_shop(server, sizes.pedidos).await;
            measure_with(&spec, plan.config, Arc::new(Checkouts), prepare, verify).await?
        }
        None => {
            let prepare = async |server: &Server| unlimited_stock(server, storage).await;
            measure_with(&spec, plan.config, Arc::new(Checkouts), prepare, verify).await?
        }
    };
    let tickets_cpu = tickets.cpu_time()?.saturating_sub(tickets_cpu_before);
    tickets.stop().await?;
    let orders = m.load.ok_total.max(1) as f64;
    let (ahorro_us, tickets_us) = (m.server_cpu.as_secs_f64() * 1e6 / orders, tickets_cpu.as_secs_f64() * 1e6 / orders);
    Ok((m, ahorro_us, tickets_us))
}

/// Checkouts (with a Tickets of their own each round; on prefilled
/// databases too when asked), then the home page and the product pages.
pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let mut checkouts: Vec<Measurement> = Vec::new();
    let mut checkouts_prefilled: Vec<Measurement> = Vec::new();
    let mut home: Vec<Measurement> = Vec::new();
    let mut product: Vec<Measurement> = Vec::new();
    let mut notes = Vec::new();
    // The home and product pages do not call Tickets; they still need an address.
    let nowhere = SocketAddr::from(([127, 0, 0, 1], 9));
    for round in 1..=plan.rounds {
        eprintln!("round {round}/{}", plan.rounds);

        let (m, ahorro_us, tickets_us) = checkouts_round(plan, None, &Storage::Sqlite).await?;
        describe(CHECKOUT_TARGET, &m);
        notes.push(format!(
            "Round {round}: CPU per order, both services: {:.0} µs (Ahorro {ahorro_us:.0} + Tickets {tickets_us:.0}) \
             at {:.0} orders/s; a tenth of a CPU sustains {:.0} orders a minute.",
            ahorro_us + tickets_us,
            m.load.throughput(),
            0.1 * 60e6 / (ahorro_us + tickets_us),
        ));
        checkouts.push(m);

        if plan.prefill.is_some() {
            let (m, ahorro_us, tickets_us) = checkouts_round(plan, plan.prefill, &Storage::Sqlite).await?;
            describe(CHECKOUT_PREFILLED_TARGET, &m);
            notes.push(format!(
                "Round {round}, prefilled: CPU per order {:.0} µs (Ahorro {ahorro_us:.0} + Tickets {tickets_us:.0}).",
                ahorro_us + tickets_us
            ));
            checkouts_prefilled.push(m);
        }

        let m = measure_with(
            &ahorro_spec(plan, nowhere, &Storage::Sqlite),
            plan.config,
            Arc::new(HomePage),
            nothing_to_prepare,
            async |addr, _: &LoadResult| verify_page(addr, "/").await,
        )
        .await?;
        describe(HOME_TARGET, &m);
        home.push(m);

        let m = measure_with(
            &ahorro_spec(plan, nowhere, &Storage::Sqlite),
            plan.config,
            Arc::new(ProductPages),
            nothing_to_prepare,
            async |addr, _: &LoadResult| verify_page(addr, "/producto/1").await,
        )
        .await?;
        describe(PRODUCT_TARGET, &m);
        product.push(m);
    }
    let rows = median_rows(&[
        (CHECKOUT_TARGET, checkouts),
        (CHECKOUT_PREFILLED_TARGET, checkouts_prefilled),
        (HOME_TARGET, home),
        (PRODUCT_TARGET, product),
    ]);
    let rate = |name: &str| rows.iter().find(|r| r.target == name).map(|r| r.requests_per_second);
    if let (Some(e), Some(p)) = (rate(CHECKOUT_TARGET), rate(CHECKOUT_PREFILLED_TARGET)) {
        let sizes = plan.prefill.unwrap_or(prefill::FULL);
        notes.push(format!(
            "Checkout with {} orders and {} tickets stored / empty databases: {:+.1} % (goal within ±10 %).",
            sizes.pedidos,
            sizes.tickets,
            100.0 * (p / e - 1.0)
        ));
    }
    Ok(Report { rows, notes })
}
