//! The same loads with the services on PostgreSQL (`--postgres URL`), each
//! run in a fresh database of its own: the baseline (axum + one
//! PostgreSQL INSERT per request), Tickets intake, two Tickets instances
//! sharing the database and the live board through Redis, and Ahorro's
//! checkout delivered to Tickets (both services in one database, each in
//! its schema, as on Render's free plan).

use std::net::SocketAddr;
use std::sync::Arc;

use belgrano_testkit::TestDb;

use super::checkout::checkouts_round;
use super::tickets::{API_KEY, NewTickets, baseline_spec, tickets_spec, verify_baseline};
use super::{Plan, Report, Storage, describe, median_rows};
use crate::load::LoadResult;
use crate::measure::{Measurement, measure, measure_instances, nothing_to_prepare};
use crate::postgres;

pub const BASELINE_TARGET: &str = "PostgreSQL baseline: axum + one INSERT per request";
pub const TICKETS_TARGET: &str = "Tickets intake on PostgreSQL";
pub const TWO_TICKETS_TARGET: &str = "Two Tickets on PostgreSQL + Redis, combined intake";
pub const CHECKOUT_TARGET: &str = "Ahorro checkout on PostgreSQL, delivered to Tickets";

pub const REFERENCE: &str = "Goals (issue 17, PostgreSQL on this machine): intake at least 1.5× the PostgreSQL baseline \
    in the same run; two instances on PostgreSQL + Redis report their combined intake.";

/// Where the two instances meet (the machine's Redis, as in `.ci/run`).
const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Every 200 is one stored ticket: the rows are counted (a PostgreSQL
/// sequence may skip, so the newest id proves nothing here).
async fn verify_counted(url: &str, load: &LoadResult) -> Result<String, String> {
    let stored = postgres::count(url, "tickets.tickets").await.map_err(|e| e.to_string())?;
    if stored != load.ok_total {
        return Err(format!("{stored} tickets stored but {} answered 200 as new", load.ok_total));
    }
    Ok(format!("{stored} tickets stored = {} answered 200 as new", load.ok_total))
}

/// Intake on `instances` Tickets sharing one fresh database (and Redis
/// when there are several).
async fn intake(plan: &Plan, admin_url: &str, instances: usize) -> anyhow::Result<Measurement> {
    let db = TestDb::postgres_on(admin_url).await?;
    let mut spec = tickets_spec(plan, Some("warn"), &Storage::Postgres { url: db.url.clone() });
    if instances > 1 {
        spec.env.push(("REDIS_URL".to_owned(), REDIS_URL.to_owned()));
    }
    let specs = vec![spec; instances];
    let workload = Arc::new(NewTickets::new(Some(API_KEY)));
    let url = db.url.clone();
    let verify = async |_: SocketAddr, load: &LoadResult| verify_counted(&url, load).await;
    let m = measure_instances(&specs, plan.config, workload, nothing_to_prepare, verify).await;
    db.remove().await?;
    m
}

pub async fn run(plan: &Plan, admin_url: &str) -> anyhow::Result<Report> {
    let mut baseline: Vec<Measurement> = Vec::new();
    let mut tickets: Vec<Measurement> = Vec::new();
    let mut two_tickets: Vec<Measurement> = Vec::new();
    let mut checkouts: Vec<Measurement> = Vec::new();
    let mut notes = Vec::new();
    for round in 1..=plan.rounds {
        eprintln!("PostgreSQL round {round}/{}", plan.rounds);

        let db = TestDb::postgres_on(admin_url).await?;
        let spec = baseline_spec(plan, &Storage::Postgres { url: db.url.clone() });
        let m = measure(&spec, plan.config, Arc::new(NewTickets::new(None)), verify_baseline).await;
        db.remove().await?;
        let m = m?;
        describe(BASELINE_TARGET, &m);
        baseline.push(m);

        let m = intake(plan, admin_url, 1).await?;
        describe(TICKETS_TARGET, &m);
        tickets.push(m);

        let m = intake(plan, admin_url, 2).await?;
        describe(TWO_TICKETS_TARGET, &m);
        two_tickets.push(m);

        let db = TestDb::postgres_on(admin_url).await?;
        let storage = Storage::Postgres { url: db.url.clone() };
        let round_result = checkouts_round(plan, None, &storage).await;
        db.remove().await?;
        let (m, ahorro_us, tickets_us) = round_result?;
        describe(CHECKOUT_TARGET, &m);
        notes.push(format!(
            "PostgreSQL round {round}: CPU per order, both services: {:.0} µs (Ahorro {ahorro_us:.0} + Tickets \
             {tickets_us:.0}) at {:.0} orders/s (PostgreSQL's own CPU not included).",
            ahorro_us + tickets_us,
            m.load.throughput(),
        ));
        checkouts.push(m);
    }
    let rows = median_rows(&[
        (TICKETS_TARGET, tickets),
        (TWO_TICKETS_TARGET, two_tickets),
        (BASELINE_TARGET, baseline),
        (CHECKOUT_TARGET, checkouts),
    ]);
    let rate = |name: &str| rows.iter().find(|r| r.target == name).map(|r| r.requests_per_second);
    if let (Some(t), Some(b)) = (rate(TICKETS_TARGET), rate(BASELINE_TARGET)) {
        notes.push(format!("Intake / baseline on PostgreSQL, same run: {:.2}× (goal ≥ 1.5×).", t / b));
    }
    if let (Some(one), Some(two)) = (rate(TICKETS_TARGET), rate(TWO_TICKETS_TARGET)) {
        notes.push(format!(
            "Two instances / one: {:.2}× (one machine of 2 cores runs both, PostgreSQL, Redis and the load).",
            two / one
        ));
    }
    Ok(Report { rows, notes })
}
