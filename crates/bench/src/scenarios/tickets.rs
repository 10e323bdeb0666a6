//! Tickets intake: `POST /api/tickets` with a new `numero` every time,
//! against the ceiling the issue sets (a bare axum handler doing one SQLite
//! INSERT per request, `baseline_insert`).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Plan, Report, Storage, describe, median_rows, prefill};
use crate::client::{self, Body};
use crate::load::{LoadResult, Workload};
use crate::measure::{Measurement, measure, measure_with};
use crate::server::{Server, ServerSpec};

/// The development key; the benchmark passes it explicitly so the caller's
/// environment cannot change what is measured.
pub const API_KEY: &str = "belgrano_ahorro_api_key_2025";

pub const TICKETS_TARGET: &str = "Tickets intake (new tickets)";
pub const TICKETS_INFO_TARGET: &str = "Tickets intake, default info logging";
pub const BASELINE_TARGET: &str = "baseline: axum + one SQLite INSERT per request";
pub const TICKETS_PREFILLED_TARGET: &str = "Tickets intake, prefilled database";

pub const REFERENCE: &str = "Goals (issue 17, this 2-core machine): intake at least 2.0× the baseline in the same run, \
    p99 under 20 ms, peak RSS under 50 MB; within 10 % on a database with a million tickets. \
    Earlier figures: issue 17 opened at 7,505/s (baseline 9,548/s); one writer committing multi-row INSERTs ≈37,700/s; \
    the old Python service ≈170 new tickets/s.";

const NUMERO_MARK: &str = "@@NUMERO@@";

/// New orders as Ahorro sends them; only `numero` changes.
pub struct NewTickets {
    api_key: Option<String>,
    /// The body split around the numero, so a request costs one concatenation.
    body_head: String,
    body_tail: String,
    /// Keeps numeros unique across runs too.
    run_tag: String,
}

impl NewTickets {
    pub fn new(api_key: Option<&str>) -> Self {
        let body = json!({
            "numero": NUMERO_MARK,
            "cliente_nombre": "Juan Pérez",
            "cliente_direccion": "Av. Belgrano 1234, CABA",
            "cliente_telefono": "+54 11 5555-1234",
            "cliente_email": "juan.perez@example.com",
            "productos": [
                {"id": 1, "nombre": "Arroz 1kg", "precio": 950, "cantidad": 2, "subtotal": 1900},
                {"id": 7, "nombre": "Aceite girasol 900ml", "precio": 2100, "cantidad": 1, "subtotal": 2100}
            ],
            "total": 4000.0,
            "metodo_pago": "efectivo",
            "indicaciones": "Tocar timbre 2B",
            "estado": "pendiente",
            "prioridad": "normal",
            "tipo_cliente": "cliente"
        })
        .to_string();
        let (head, tail) = body.split_once(NUMERO_MARK).expect("marker in body");
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
        Self {
            api_key: api_key.map(str::to_owned),
            body_head: head.to_owned(),
            body_tail: tail.to_owned(),
            run_tag: format!("{millis:x}"),
        }
    }

    pub fn numero(&self, conn: usize, seq: u64) -> String {
        format!("{}{seq}", self.numero_prefix(conn))
    }

    /// What every `numero` of connection `conn` starts with.
    pub fn numero_prefix(&self, conn: usize) -> String {
        format!("BENCH-{}-{conn}-", self.run_tag)
    }
}

impl Workload for NewTickets {
    fn request(&self, addr: SocketAddr, conn: usize, seq: u64) -> Request<Body> {
        let body = [self.body_head.as_str(), &self.numero(conn, seq), &self.body_tail].concat();
        let mut builder =
            client::request(Method::POST, addr, "/api/tickets").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = &self.api_key {
            builder = builder.header("x-api-key", key.as_str());
        }
        builder.body(Full::new(Bytes::from(body))).expect("valid request")
    }

    /// Exactly 200 (what old clients check) with a new ticket's id.
    fn check(&self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        if status != StatusCode::OK {
            let text: String = String::from_utf8_lossy(body).chars().take(60).collect();
            return Err(format!("HTTP {} {text}", status.as_u16()));
        }
        let answer: Value = serde_json::from_slice(body).map_err(|e| format!("200 with bad JSON: {e}"))?;
        if !answer["ticket_id"].is_i64() || answer["exito"] != true {
            return Err("200 without exito/ticket_id".to_owned());
        }
        if answer["idempotent"] == true {
            return Err("200 idempotent: numero was not new".to_owned());
        }
        Ok(())
    }
}

/// The newest stored ticket's id must equal the number of tickets the
/// load saw created (ids count from 1 in a fresh database), so no request
/// can have been answered 200 without its ticket being stored.
async fn verify_tickets(addr: SocketAddr, load: &LoadResult) -> Result<String, String> {
    verify_tickets_after(addr, load, 0).await
}

/// [`verify_tickets`] on a database that held `before` tickets.
pub async fn verify_tickets_after(addr: SocketAddr, load: &LoadResult, before: u64) -> Result<String, String> {
    let (status, body) =
        client::get(addr, "/api/tickets?limit=1", &[("x-api-key", API_KEY)]).await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("GET /api/tickets answered {status}"));
    }
    let page: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let newest = &page["tickets"][0];
    let id = newest["id"].as_i64().unwrap_or(0);
    let numero = newest["numero"].as_str().unwrap_or("");
    if id as u64 != before + load.ok_total || !numero.starts_with("BENCH-") {
        return Err(format!(
            "newest ticket is {id} ({numero}) but {before} + {} were answered as created",
            load.ok_total
        ));
    }
    Ok(format!("{id} tickets stored = {before} before + {} answered 200 as new", load.ok_total))
}

pub async fn verify_baseline(addr: SocketAddr, load: &LoadResult) -> Result<String, String> {
    let (status, body) = client::get(addr, "/count", &[]).await.map_err(|e| e.to_string())?;
    let count: Value = serde_json::from_slice(&body).map_err(|e| format!("{status}: {e}"))?;
    let stored = count["count"].as_u64().unwrap_or(0);
    if stored != load.ok_total {
        return Err(format!("{stored} rows stored but {} answered 200", load.ok_total));
    }
    Ok(format!("{stored} rows stored = {} answered 200", load.ok_total))
}

pub fn tickets_spec(plan: &Plan, rust_log: Option<&str>, storage: &Storage) -> ServerSpec {
    let mut env = vec![
        ("RENDER_ENVIRONMENT".to_owned(), "development".to_owned()),
        ("BELGRANO_AHORRO_API_KEY".to_owned(), API_KEY.to_owned()),
        // Nothing listens there: no status updates may leave the benchmark.
        ("BELGRANO_AHORRO_URL".to_owned(), "http://127.0.0.1:9".to_owned()),
    ];
    // Without RUST_LOG the service uses its own default (info).
    let mut env_remove = vec![];
    match rust_log {
        Some(level) => env.push(("RUST_LOG".to_owned(), level.to_owned())),
        None => env_remove.push("RUST_LOG".to_owned()),
    }
    ServerSpec {
        program: plan.bin_dir.join("tickets"),
        env,
        env_remove,
        database: storage.database("tickets.db"),
        health_path: "/health".to_owned(),
        port: None,
    }
}

pub fn baseline_spec(plan: &Plan, storage: &Storage) -> ServerSpec {
    ServerSpec {
        program: plan.bin_dir.join("baseline_insert"),
        env: vec![("RUST_LOG".to_owned(), "warn".to_owned())],
        env_remove: vec![],
        database: storage.database("baseline.db"),
        health_path: "/health".to_owned(),
        port: None,
    }
}

/// Writes `n` delivered tickets into a freshly started Tickets.
pub async fn prefill_tickets(server: &Server, n: i64) -> anyhow::Result<()> {
    let seconds = prefill::tickets(&server.dir().join("tickets.db"), n).await?;
    eprintln!("  prefilled {n} tickets in {seconds:.1} s");
    Ok(())
}

/// Measures the baseline and Tickets (with `RUST_LOG=warn`, with default
/// logging and on a prefilled database when asked), interleaved over the
/// rounds.
pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let mut baseline: Vec<Measurement> = Vec::new();
    let mut tickets: Vec<Measurement> = Vec::new();
    let mut tickets_info: Vec<Measurement> = Vec::new();
    let mut tickets_prefilled: Vec<Measurement> = Vec::new();
    for round in 1..=plan.rounds {
        eprintln!("round {round}/{}", plan.rounds);

        let m = measure(
            &baseline_spec(plan, &Storage::Sqlite),
            plan.config,
            Arc::new(NewTickets::new(None)),
            verify_baseline,
        )
        .await?;
        describe(BASELINE_TARGET, &m);
        baseline.push(m);

        let workload = Arc::new(NewTickets::new(Some(API_KEY)));
        let m =
            measure(&tickets_spec(plan, Some("warn"), &Storage::Sqlite), plan.config, workload, verify_tickets).await?;
        describe(TICKETS_TARGET, &m);
        tickets.push(m);

        if plan.info_logging {
            let workload = Arc::new(NewTickets::new(Some(API_KEY)));
            let m = measure(&tickets_spec(plan, None, &Storage::Sqlite), plan.config, workload, verify_tickets).await?;
            describe(TICKETS_INFO_TARGET, &m);
            tickets_info.push(m);
        }

        if let Some(sizes) = plan.prefill {
            let workload = Arc::new(NewTickets::new(Some(API_KEY)));
            let m = measure_with(
                &tickets_spec(plan, Some("warn"), &Storage::Sqlite),
                plan.config,
                workload,
                async |server: &Server| prefill_tickets(server, sizes.tickets).await,
                async |addr, load: &LoadResult| verify_tickets_after(addr, load, sizes.tickets as u64).await,
            )
            .await?;
            describe(TICKETS_PREFILLED_TARGET, &m);
            tickets_prefilled.push(m);
        }
    }
    let rows = median_rows(&[
        (TICKETS_TARGET, tickets),
        (TICKETS_INFO_TARGET, tickets_info),
        (TICKETS_PREFILLED_TARGET, tickets_prefilled),
        (BASELINE_TARGET, baseline),
    ]);
    let mut notes = Vec::new();
    let rate = |name: &str| rows.iter().find(|r| r.target == name).map(|r| r.requests_per_second);
    if let (Some(t), Some(b)) = (rate(TICKETS_TARGET), rate(BASELINE_TARGET)) {
        notes.push(format!("Intake / baseline, same run: {:.2}× (goal ≥ 2.0×).", t / b));
    }
    if let (Some(t), Some(p)) = (rate(TICKETS_TARGET), rate(TICKETS_PREFILLED_TARGET)) {
        let stored = plan.prefill.map(|s| s.tickets).unwrap_or(0);
        notes.push(format!(
            "Intake with {stored} tickets stored / empty database: {:+.1} % (goal within ±10 %).",
            100.0 * (p / t - 1.0)
        ));
    }
    Ok(Report { rows, notes })
}
