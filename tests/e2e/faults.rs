//! Faults the services must ride out with no restart and nothing lost
//! ("Hardening: what a flaky network can do").
//!
//! 1. PostgreSQL restarts under load, on a server of the test's own
//!    ([`PrivatePostgres`], never the machine's shared one): a quick
//!    `pg_ctl restart`, then a stop held longer than the pool's 5 s acquire
//!    timeout, while checkouts stream through Ahorro and direct intake posts
//!    stream to Tickets. Every answer is 200 or a clean JSON 503, both
//!    services recover by themselves, and every accepted order is exactly
//!    one ticket. Tickets is on that server; Ahorro on SQLite (its checkouts
//!    must all be 200) and, in a second test, on the same server too (its
//!    checkouts may then be 503 during the outage).
//! 2. A slow link that cuts requests, both ways ([`FlakyLink`] in front of
//!    each service): every order is one ticket, each changed ticket's final
//!    `estado` reaches the order in Ahorro, and checkout answers within
//!    `CHECKOUT_WAIT_MS` plus a margin. On SQLite and, with
//!    `TEST_DATABASE_URL`, on PostgreSQL.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use belgrano_e2e::*;
use serde_json::{Value, json};

/// The tests time requests, and the flaky-link tests assert latencies: they
/// take turns, so no test loads the two cores under another's timings.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What both tests set: how long a checkout waits for Tickets' first answer.
const CHECKOUT_WAIT: Duration = Duration::from_millis(500);
const CHECKOUT_WAIT_MS: &str = "500";

/// A request the load generator gives up on: a service holding a request
/// this long has not answered it.
const NO_ANSWER: Duration = Duration::from_secs(30);

/// A product and a quantity of 1: products 1..=100 have at least 15 in
/// stock each, so up to 1,500 checkouts never run out.
fn items(n: usize) -> [(i64, i64); 1] {
    [((n % 100) as i64 + 1, 1)]
}

fn intake_body(n: usize) -> Value {
    json!({
        "numero": format!("DIRECTO-{n:05}"),
        "cliente_nombre": format!("Cliente directo {n}"),
        "cliente_direccion": format!("Av. Cabildo {n}"),
        "total": 1000 + n,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Checkout,
    Intake,
}

/// One request of the load and how it ended.
#[derive(Debug, Clone)]
struct Answer {
    kind: Kind,
    sent: Value,
    started: Instant,
    took: Duration,
    /// The HTTP status, or what went wrong instead of an answer.
    status: Result<u16, String>,
    body: Value,
}

impl Answer {
    fn numero(&self) -> String {
        match self.kind {
            Kind::Checkout => self.body["pedido"]["numero"].as_str().unwrap_or_default().to_owned(),
            Kind::Intake => self.sent["numero"].as_str().unwrap_or_default().to_owned(),
        }
    }
}

async fn send(client: &reqwest::Client, kind: Kind, url: &str, body: Value) -> Answer {
    let started = Instant::now();
    let request = client.post(url).json(&body);
    let request = if kind == Kind::Intake { request.header("X-API-Key", API_KEY) } else { request };
    let (status, answer) = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (Ok(status), response.json().await.unwrap_or(Value::Null))
        }
        Err(e) if e.is_timeout() => (Err(format!("no answer within {NO_ANSWER:?}")), Value::Null),
        Err(e) => (Err(format!("transport error: {e}")), Value::Null),
    };
    Answer { kind, sent: body, started, took: started.elapsed(), status, body: answer }
}

/// A 503 as the issue wants it: JSON with the service's failure flag false,
/// a Spanish message, and nothing of the database in it.
fn assert_clean_503(answer: &Answer) {
    let flag = if answer.kind == Kind::Intake { "exito" } else { "success" };
    assert_eq!(answer.body[flag], false, "a 503 says {flag}: false: {}", answer.body);
    assert!(answer.body["error"].is_string(), "a 503 has an error message: {}", answer.body);
    let text = answer.body.to_string().to_lowercase();
    for leak in ["sql", "select", "insert", "pool", "postgres", "database", "relation", "connection", "timed out"] {
        assert!(!text.contains(leak), "a 503 leaks internals ({leak}): {}", answer.body);
    }
}

/// When a fault was on: (name, from, to).
type Window = (&'static str, Instant, Instant);

/// The fault window a request overlapped, or "calm".
fn phase(answer: &Answer, windows: &[Window]) -> &'static str {
    let ended = answer.started + answer.took;
    windows.iter().find(|(_, from, to)| answer.started < *to && ended > *from).map_or("calm", |(name, ..)| name)
}

fn status_label(answer: &Answer) -> String {
    match &answer.status {
        Ok(code) => code.to_string(),
        Err(e) => e.clone(),
    }
}

/// Counts and slowest answer by (kind, phase, status), printed.
fn summarize(label: &str, answers: &[Answer], windows: &[Window]) {
    let mut table: BTreeMap<(Kind, &str, String), (usize, Duration)> = BTreeMap::new();
    for a in answers {
        let entry = table.entry((a.kind, phase(a, windows), status_label(a))).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(a.took);
    }
    for ((kind, phase, status), (count, slowest)) in table {
        eprintln!("[{label}] {kind:?} during {phase}: {count} × {status} (slowest {slowest:?})");
    }
}

/// Checks that every numero in `must` is exactly one ticket and that any
/// other ticket is one of at most `may_extra` Ahorro orders (`PED-…`), once.
fn assert_one_ticket_each(tickets: &[Value], must: &[String], may_extra: usize) -> usize {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in tickets {
        *counts.entry(t["numero"].as_str().unwrap()).or_default() += 1;
    }
    let lost: Vec<&String> = must.iter().filter(|n| !counts.contains_key(n.as_str())).collect();
    let doubled: Vec<(&&str, &usize)> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(lost.is_empty(), "accepted but no ticket: {lost:?}");
    assert!(doubled.is_empty(), "more than one ticket: {doubled:?}");
    let extra: Vec<&&str> = counts.keys().filter(|n| !must.iter().any(|m| m == **n)).collect();
    assert!(
        extra.len() <= may_extra && extra.iter().all(|n| n.starts_with("PED-")),
        "tickets nobody was told were accepted: {extra:?}"
    );
    extra.len()
}

// ------------------------------------------------- 1. PostgreSQL restarts

/// How long PostgreSQL stays down in the outage: longer than the pools'
/// 5 s acquire timeout, so requests waiting for a connection give up and
/// answer 503 instead of riding it out.
const OUTAGE: Duration = Duration::from_secs(7);
/// The pools' acquire timeout (`platform::db::postgres`): how long a
/// request waits for a connection before the service gives up on it.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// The load is open: one request of each kind every `PACE`, whether or
/// not earlier ones have been answered (customers do not wait for each
/// other), so requests keep arriving all through the outage.
const PACE: Duration = Duration::from_millis(100);

const AHORRO_BIN: &str = env!("CARGO_BIN_EXE_ahorro_e2e");
const TICKETS_BIN: &str = env!("CARGO_BIN_EXE_tickets_e2e");

struct Restarts {
    label: &'static str,
    /// Ahorro on the private server too (else on SQLite).
    ahorro_on_postgres: bool,
    outage: Duration,
    /// If set: every intake post is answered within this, however long the outage.
    intake_answered_within: Option<Duration>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarts_under_load_tickets_on_postgres_ahorro_on_sqlite() {
    let _turn = ONE_AT_A_TIME.lock().await;
    postgres_restarts(Restarts {
        label: "pg restart, Ahorro on SQLite",
        ahorro_on_postgres: false,
        outage: OUTAGE,
        intake_answered_within: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarts_under_load_both_on_postgres() {
    let _turn = ONE_AT_A_TIME.lock().await;
    postgres_restarts(Restarts {
        label: "pg restart, both on it",
        ahorro_on_postgres: true,
        outage: OUTAGE,
        intake_answered_within: None,
    })
    .await;
}

/// A 20 s outage: a request that arrives while PostgreSQL is down should be
/// answered (503) once the pool gives up on a connection, not held for as
/// long as the outage lasts. The bound is the acquire timeout plus 2 s for
/// the request's own work and the one batch it may queue behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_postgres_outage_answers_intake_within_the_acquire_timeout() {
    let _turn = ONE_AT_A_TIME.lock().await;
    postgres_restarts(Restarts {
        label: "20 s pg outage",
        ahorro_on_postgres: false,
        outage: Duration::from_secs(20),
        intake_answered_within: Some(ACQUIRE_TIMEOUT + Duration::from_secs(2)),
    })
    .await;
}

async fn postgres_restarts(scenario: Restarts) {
    let label = scenario.label;
    let Some(pg) = PrivatePostgres::start().await else {
        eprintln!("[{label}] skipped: PostgreSQL's binaries are not installed");
        return;
    };
    let tickets_db = pg.create_database("tickets").await;
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let ahorro_db = if scenario.ahorro_on_postgres { pg.create_database("ahorro").await } else { sqlite.url.clone() };
    // The real binaries, so `TEST_LOG=1` shows their logs and the end can
    // check that neither process restarted.
    let tickets_port = free_port();
    let mut ahorro = ServiceProcess::spawn_ahorro_on(
        AHORRO_BIN,
        &ahorro_db,
        &format!("http://127.0.0.1:{tickets_port}"),
        &[("CHECKOUT_WAIT_MS", CHECKOUT_WAIT_MS)],
    )
    .await;
    let mut tickets = ServiceProcess::spawn_tickets_on(TICKETS_BIN, &tickets_db, tickets_port, &ahorro.url, &[]).await;
    let client = reqwest::Client::builder().timeout(NO_ANSWER).build().unwrap();

    // The load: steady checkouts through Ahorro and intake posts to Tickets,
    // and a probe of Tickets' /health (a real database round trip).
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let health = Arc::new(Mutex::new(Vec::<(Instant, Result<u16, String>)>::new()));
    let mut load = Vec::new();
    for (kind, url) in [
        (Kind::Checkout, format!("{}/api/checkout", ahorro.url)),
        (Kind::Intake, format!("{}/api/tickets", tickets.url)),
    ] {
        let (client, stop, answers) = (client.clone(), stop.clone(), answers.clone());
        load.push(tokio::spawn(async move {
            let mut requests = tokio::task::JoinSet::new();
            let mut tick = tokio::time::interval(PACE);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let body = match kind {
                    Kind::Checkout => checkout_body(n, &items(n)),
                    Kind::Intake => intake_body(n),
                };
                let (client, url, answers) = (client.clone(), url.clone(), answers.clone());
                requests.spawn(async move {
                    let answer = send(&client, kind, &url, body).await;
                    answers.lock().unwrap().push(answer);
                });
                n += 1;
            }
            while let Some(done) = requests.join_next().await {
                done.unwrap();
            }
        }));
    }
    load.push(tokio::spawn({
        let (client, stop, health, url) =
            (client.clone(), stop.clone(), health.clone(), format!("{}/health", tickets.url));
        async move {
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = client.get(&url).send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string());
                health.lock().unwrap().push((started, status));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }));

    // Calm, a quick restart, calm, a long outage, back.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let from = Instant::now();
    pg.restart().await;
    let restart: Window = ("quick restart", from, Instant::now());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let from = Instant::now();
    pg.stop().await;
    let down = Instant::now();
    tokio::time::sleep(scenario.outage).await;
    pg.start_again().await;
    let back = Instant::now();
    let outage: Window = ("outage", from, back);
    eprintln!(
        "[{label}] quick restart took {:?}; PostgreSQL down {:?} (stopping took {:?})",
        restart.2 - restart.1,
        back - down,
        down - from
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    let windows = [restart, outage];
    summarize(label, &answers, &windows);

    // Every answer is 200 or a clean 503 (checkouts: 200 only while Ahorro's
    // own database is up), never a 500, never silence.
    let mut checkout_503 = 0;
    for a in &answers {
        match (a.kind, &a.status) {
            (_, Ok(200)) => assert!(
                a.body["exito"] == true || a.body["success"] == true,
                "[{label}] a 200 says it worked: {}",
                a.body
            ),
            (Kind::Intake, Ok(503)) => assert_clean_503(a),
            (Kind::Checkout, Ok(503)) if scenario.ahorro_on_postgres => {
                assert_clean_503(a);
                checkout_503 += 1;
            }
            _ => panic!(
                "[{label}] {:?} during {}: {} after {:?}: {} (sent {})",
                a.kind,
                phase(a, &windows),
                status_label(a),
                a.took,
                a.body,
                a.sent
            ),
        }
    }
    if let Some(bound) = scenario.intake_answered_within {
        let mut late: Vec<&Answer> = answers.iter().filter(|a| a.kind == Kind::Intake && a.took > bound).collect();
        late.sort_by_key(|a| std::cmp::Reverse(a.took));
        let examples: Vec<String> = late
            .iter()
            .take(5)
            .map(|a| format!("{} {} after {:?}", a.sent["numero"], status_label(a), a.took))
            .collect();
        assert!(
            late.is_empty(),
            "[{label}] {} intake posts were answered later than {bound:?}, slowest first: {examples:?}",
            late.len()
        );
    }
    let health = std::mem::take(&mut *health.lock().unwrap());
    let health_503_in_outage =
        health.iter().filter(|(at, s)| *at >= outage.1 && *at < outage.2 && *s == Ok(503)).count();
    assert!(health_503_in_outage > 0, "[{label}] Tickets' /health never saw the outage: {health:?}");
    let first_200_after = answers
        .iter()
        .filter(|a| a.kind == Kind::Intake && a.started >= back && a.status == Ok(200))
        .map(|a| a.started + a.took - back)
        .min();
    eprintln!(
        "[{label}] /health 503 {health_503_in_outage}× during the outage; first intake 200 {first_200_after:?} after PostgreSQL was back"
    );

    // Recovery with no restart of either service: Ahorro's outbox empties.
    let emptied = eventually(Duration::from_secs(30), || async {
        metric_sum(&ahorro.url, "outbox_pending", &[("service", "ahorro")]).await == 0.0
    })
    .await;
    let recovered_in = back.elapsed();
    assert!(emptied, "[{label}] Ahorro's outbox did not empty within 30 s of PostgreSQL's return");
    assert_eq!(
        metric_sum(&ahorro.url, "outbox_failed", &[("service", "ahorro")]).await,
        0.0,
        "[{label}] nothing parked"
    );

    // Intake posts that got 503, retried now: each 200.
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.kind == Kind::Intake && a.status == Ok(503)).collect();
    let mut taken_anyway = 0;
    for a in &refused {
        let again = send(&client, Kind::Intake, &format!("{}/api/tickets", tickets.url), a.sent.clone()).await;
        assert_eq!(again.status, Ok(200), "[{label}] a retried intake post: {}", again.body);
        if again.body["idempotent"] == true {
            taken_anyway += 1;
        }
    }

    let accepted: Vec<&Answer> =
        answers.iter().filter(|a| a.status == Ok(200) || (a.kind == Kind::Intake && a.status == Ok(503))).collect();
    let numeros: Vec<String> = accepted.iter().map(|a| a.numero()).collect();
    let all = tickets_all_at(&tickets.url).await;
    let extra = assert_one_ticket_each(&all, &numeros, checkout_503);
    // Ahorro learned each order's ticket (the delivery was recorded).
    for a in accepted.iter().filter(|a| a.kind == Kind::Checkout) {
        let numero = a.numero();
        let ticket = all.iter().find(|t| t["numero"] == numero.as_str()).unwrap();
        let (code, tracked) = tracking_json(&tracking_link(&ahorro.url, &a.body)).await;
        assert_eq!(code, 200, "[{label}] {numero}: {tracked}");
        assert_eq!(tracked["ticket_id"], ticket["id"], "[{label}] {numero}: Ahorro knows its ticket");
    }
    let checkouts = answers.iter().filter(|a| a.kind == Kind::Checkout && a.status == Ok(200)).count();
    eprintln!(
        "[{label}] recovered (Ahorro's outbox empty) {recovered_in:?} after PostgreSQL was back; \
         {checkouts} orders and {} intake posts are {} tickets, one each; {} intake 503s retried → 200 \
         ({taken_anyway} had been stored despite the 503); {checkout_503} checkout 503s, {extra} of them stored anyway",
        answers.iter().filter(|a| a.kind == Kind::Intake).count(),
        all.len(),
        refused.len(),
    );
    assert_eq!(reqwest::get(format!("{}/health", tickets.url)).await.unwrap().status(), 200);
    assert!(tickets.is_running() && ahorro.is_running(), "[{label}] neither service restarted");
    drop((ahorro, tickets));
    drop(pg);
}

// ---------------------------------------------------- 2. a flaky link

/// Both directions: 40 ms late each way, one request in ten held 1.5 s
/// (three times the checkout's wait), and three in twenty cut before the
/// service has them or after it answered.
fn flakiness(seed: u64) -> Flakiness {
    Flakiness {
        latency: Duration::from_millis(40),
        slow_percent: 10,
        slow: Duration::from_millis(1500),
        cut_request_percent: 15,
        cut_answer_percent: 15,
        seed,
    }
}

/// A checkout answers within the wait plus this. Besides waiting, it runs
/// one write transaction and two reads on its own database (p99 55 ms at
/// 1,000 checkouts/s, docs/BENCHMARKS.md; here at most ~40 ms over the wait
/// in the runs measured); 400 ms also covers scheduler stalls on a loaded
/// two-core machine, and stays well below the 1.54 s a slowed delivery takes,
/// so a checkout that waited for its delivery fails.
const CHECKOUT_MARGIN: Duration = Duration::from_millis(400);
const ORDERS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_link_both_ways_on_sqlite() {
    let _turn = ONE_AT_A_TIME.lock().await;
    flaky_link(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_link_both_ways_on_postgres() {
    if !belgrano_testkit::postgres_configured() {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    flaky_link(Backend::Postgres).await;
}

async fn flaky_link(backend: Backend) {
    let tickets_db = TestDb::new(backend).await;
    let ahorro_db = TestDb::new(backend).await;
    let ahorro_port = free_port();
    let to_ahorro = FlakyLink::start(&format!("http://127.0.0.1:{ahorro_port}"), flakiness(0x5eed_a11e)).await;
    let tickets = Tickets::start(&tickets_db, 0, &to_ahorro.url).await;
    let to_tickets = FlakyLink::start(&tickets.url, flakiness(0x0dd_ba11)).await;
    let ahorro_port = ahorro_port.to_string();
    let ahorro = Ahorro::start(
        &ahorro_db,
        &to_tickets.url,
        &[("PORT", ahorro_port.as_str()), ("CHECKOUT_WAIT_MS", CHECKOUT_WAIT_MS)],
    )
    .await;

    // Checkouts, four at a time, each timed.
    let started = Instant::now();
    let streams: Vec<_> = (0..4)
        .map(|stream| {
            let url = ahorro.url.clone();
            tokio::spawn(async move {
                let mut done = Vec::new();
                for n in (stream..ORDERS).step_by(4) {
                    let started = Instant::now();
                    let (status, answer) = checkout(&url, &checkout_body(n, &items(n))).await;
                    done.push((status, answer, started.elapsed()));
                }
                done
            })
        })
        .collect();
    let mut orders = Vec::new();
    for stream in streams {
        orders.extend(stream.await.unwrap());
    }
    let mut latencies: Vec<Duration> = orders.iter().map(|(_, _, took)| *took).collect();
    latencies.sort();
    let bound = CHECKOUT_WAIT + CHECKOUT_MARGIN;
    for (status, answer, took) in &orders {
        assert_eq!(*status, 200, "{backend:?}: {answer}");
        assert!(*took <= bound, "{backend:?}: a checkout took {took:?}, over {bound:?}: {answer}");
    }
    let numeros: Vec<String> =
        orders.iter().map(|(_, a, _)| a["pedido"]["numero"].as_str().unwrap().to_owned()).collect();

    // Every order reaches Tickets once; Ahorro knows each order's ticket.
    let emptied = eventually(Duration::from_secs(40), || async {
        metric_sum(&ahorro.url, "outbox_pending", &[("service", "ahorro")]).await == 0.0
    })
    .await;
    let delivered_in = started.elapsed();
    assert!(emptied, "{backend:?}: Ahorro's outbox did not empty over the flaky link");
    assert_eq!(
        metric_sum(&ahorro.url, "outbox_failed", &[("service", "ahorro")]).await,
        0.0,
        "{backend:?}: orders parked in Ahorro's outbox (GET /api/outbox/fallidos)"
    );
    let all = tickets_all_at(&tickets.url).await;
    assert_exactly_once(&all, &numeros);
    let ticket_of = |numero: &str| all.iter().find(|t| t["numero"] == numero).unwrap().clone();
    let links: Vec<String> = orders.iter().map(|(_, a, _)| tracking_link(&ahorro.url, a)).collect();
    for (numero, link) in numeros.iter().zip(&links) {
        let (code, tracked) = tracking_json(link).await;
        assert_eq!(code, 200, "{tracked}");
        assert_eq!(tracked["ticket_id"], ticket_of(numero)["id"], "{backend:?}: {numero}: Ahorro knows its ticket");
    }

    // A dispatcher moves twelve tickets; every update crosses the flaky link back.
    let changed = Instant::now();
    let mut finals: Vec<(usize, &str)> = Vec::new();
    for (i, numero) in numeros.iter().enumerate().take(12) {
        let id = ticket_of(numero)["id"].clone();
        let steps: &[(&str, Option<&str>)] = match i % 3 {
            0 => &[("en-preparacion", None), ("en-camino", None), ("entregado", None)],
            1 => &[("en-preparacion", None), ("cancelado", Some("el cliente no atiende"))],
            _ => &[("en-preparacion", None), ("en-camino", None)],
        };
        for (estado, motivo) in steps {
            let body = match motivo {
                Some(motivo) => json!({"estado": estado, "motivo": motivo}),
                None => json!({"estado": estado}),
            };
            patch_ticket(&tickets.url, &id, body).await;
        }
        finals.push((i, steps.last().unwrap().0));
    }
    let arrived = eventually(Duration::from_secs(40), || async {
        for (i, estado) in &finals {
            if tracking_json(&links[*i]).await.1["estado"] != *estado {
                return false;
            }
        }
        true
    })
    .await;
    let updated_in = changed.elapsed();
    if !arrived {
        let mut wrong = Vec::new();
        for (i, estado) in &finals {
            let tracked = tracking_json(&links[*i]).await.1;
            if tracked["estado"] != *estado {
                wrong.push(format!("{}: {} (v{}), not {estado}", numeros[*i], tracked["estado"], tracked["version"]));
            }
        }
        panic!("{backend:?}: not every final estado reached Ahorro within 40 s: {wrong:?}");
    }
    let settled = eventually(Duration::from_secs(20), || async {
        metric_sum(&tickets.url, "outbox_pending", &[("service", "tickets")]).await == 0.0
    })
    .await;
    assert!(settled, "{backend:?}: Tickets' outbox empties");
    assert_eq!(
        metric_sum(&tickets.url, "outbox_failed", &[("service", "tickets")]).await,
        0.0,
        "{backend:?}: updates parked in Tickets' outbox (GET /api/notificaciones/fallidas)"
    );
    // Late repeats changed nothing: each order holds its ticket's last version.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, numero) in numeros.iter().enumerate() {
        let ticket: Value = reqwest::Client::new()
            .get(format!("{}/api/tickets/{}", tickets.url, ticket_of(numero)["id"]))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tracked = tracking_json(&links[i]).await.1;
        assert_eq!(tracked["estado"], ticket["estado"], "{backend:?}: {numero}: {tracked}");
        if i < finals.len() {
            assert_eq!(tracked["version"], ticket["version"], "{backend:?}: {numero}: the last version: {tracked}");
        }
    }

    let (ahorro_side, tickets_side) = (to_tickets.counts(), to_ahorro.counts());
    eprintln!(
        "[{backend:?}] flaky link: {ORDERS} checkouts, p50 {:?}, p90 {:?}, max {:?} (bound {bound:?}); every order one ticket \
         after {delivered_in:?}; 12 tickets' final estado at Ahorro {updated_in:?} after the changes; \
         Ahorro→Tickets {ahorro_side:?}; Tickets→Ahorro {tickets_side:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 9 / 10],
        latencies.last().unwrap(),
    );
    for (side, counts) in [("Ahorro→Tickets", ahorro_side), ("Tickets→Ahorro", tickets_side)] {
        assert!(
            counts.cut_requests > 0 && counts.cut_answers > 0,
            "{backend:?}: the {side} link cut nothing: {counts:?}"
        );
    }
    assert!(ahorro_side.slowed > 0, "{backend:?}: no delivery outlasted the checkout's wait: {ahorro_side:?}");

    ahorro.stop().await;
    tickets.stop().await;
}
