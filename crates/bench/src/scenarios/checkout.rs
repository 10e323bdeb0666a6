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

use super::{Plan, describe, median_rows};
use crate::client::{self, Body};
use crate::load::{LoadResult, Workload};
use crate::measure::{Measurement, measure_with, nothing_to_prepare};
use crate::report::Row;
use crate::server::{Server, ServerSpec};

use super::tickets::API_KEY;

pub const CHECKOUT_TARGET: &str = "Ahorro checkout, delivered to Tickets";
pub const HOME_TARGET: &str = "Ahorro home page (GET /)";

pub const REFERENCE: &str = "Target (issue 3, 2 cores): 3,000 checkouts/s end to end with p99 under 50 ms. \
    Earlier figure: 719 checkouts/s, p99 145 ms (the in-process load test, busy machine).";

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

fn tickets_spec(plan: &Plan) -> ServerSpec {
    ServerSpec {
        program: plan.bin_dir.join("tickets"),
        env: vec![
            ("RENDER_ENVIRONMENT".to_owned(), "development".to_owned()),
            ("BELGRANO_AHORRO_API_KEY".to_owned(), API_KEY.to_owned()),
            // Intake sends nothing back; nothing else runs in this benchmark.
            ("BELGRANO_AHORRO_URL".to_owned(), "http://127.0.0.1:9".to_owned()),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ],
        env_remove: vec![],
        sqlite_file: Some("tickets.db".to_owned()),
        health_path: "/health".to_owned(),
    }
}

fn ahorro_spec(plan: &Plan, tickets: SocketAddr) -> ServerSpec {
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
        sqlite_file: Some("ahorro.db".to_owned()),
        health_path: "/healthz".to_owned(),
    }
}

/// Enough stock and delivery places for any run, written straight into
/// Ahorro's fresh database (neither is what this benchmark measures): the
/// flat `direccion` it posts takes the earliest open window, and the demo
/// windows hold 12 orders each.
async fn unlimited_stock(server: &Server) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", server.dir().join("ahorro.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    sqlx::query("UPDATE productos SET stock = 1000000000").execute(&pool).await?;
    sqlx::query("UPDATE franjas SET capacidad = 1000000000").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Every order answered 200 becomes exactly one ticket: Tickets' newest id
/// (ids count from 1 in its fresh database) reaches the number of 200s
/// once Ahorro's outbox has drained, and Ahorro has nothing pending.
async fn verify_delivered(ahorro: SocketAddr, tickets: SocketAddr, load: &LoadResult) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let (status, body) =
            client::get(tickets, "/api/tickets?limit=1", &[("x-api-key", API_KEY)]).await.map_err(|e| e.to_string())?;
        if status != StatusCode::OK {
            return Err(format!("GET /api/tickets answered {status}"));
        }
        let page: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let newest = page["tickets"][0]["id"].as_u64().unwrap_or(0);
        if newest > load.ok_total {
            return Err(format!("{newest} tickets for {} orders answered 200", load.ok_total));
        }
        if newest == load.ok_total {
            let pending = outbox_pending(ahorro).await?;
            if pending == 0.0 {
                return Ok(format!(
                    "{newest} tickets = {} orders answered 200, outbox empty {:.1} s after the load",
                    load.ok_total,
                    started.elapsed().as_secs_f64()
                ));
            }
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            return Err(format!("after {DRAIN_TIMEOUT:?}: {newest} tickets for {} orders answered 200", load.ok_total));
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

async fn verify_home(addr: SocketAddr, _load: &LoadResult) -> Result<String, String> {
    let (status, body) = client::get(addr, "/", &[("accept", "text/html")]).await.map_err(|e| e.to_string())?;
    let html = String::from_utf8_lossy(&body);
    if status != StatusCode::OK || !html.contains("</html>") {
        return Err(format!("GET / answered {status}"));
    }
    Ok(format!("home page {:.1} KB of HTML", body.len() as f64 / 1024.0))
}

/// Checkouts (with a Tickets of their own each round), then the home page.
pub async fn run(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let mut checkouts: Vec<Measurement> = Vec::new();
    let mut home: Vec<Measurement> = Vec::new();
    for round in 1..=plan.rounds {
        eprintln!("round {round}/{}", plan.rounds);

        let mut tickets = Server::start(&tickets_spec(plan)).await?;
        let tickets_addr = tickets.addr;
        let m = measure_with(
            &ahorro_spec(plan, tickets_addr),
            plan.config,
            Arc::new(Checkouts),
            unlimited_stock,
            async |ahorro, load: &LoadResult| verify_delivered(ahorro, tickets_addr, load).await,
        )
        .await?;
        tickets.stop().await?;
        describe(CHECKOUT_TARGET, &m);
        checkouts.push(m);

        // The home page does not call Tickets; it still needs an address.
        let m = measure_with(
            &ahorro_spec(plan, tickets_addr),
            plan.config,
            Arc::new(HomePage),
            nothing_to_prepare,
            verify_home,
        )
        .await?;
        describe(HOME_TARGET, &m);
        home.push(m);
    }
    Ok(median_rows(&[(CHECKOUT_TARGET, checkouts), (HOME_TARGET, home)]))
}
