//! End-to-end harness: real Belgrano Tickets and Belgrano Ahorro over real
//! HTTP, each with its own database (temp SQLite files, or fresh PostgreSQL
//! databases when `TEST_DATABASE_URL` is set), on free ports.
//!
//! Both run in-process ([`Tickets::start`], [`Ahorro::start`]) or as child
//! processes a test can kill -9 or stop with SIGTERM ([`ServiceProcess`]).

pub mod browser;

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

pub const API_KEY: &str = "e2e-api-key";

pub use belgrano_testkit::{Backend, TestDb, eventually};

/// PostgreSQL and Redis for the several-instances tests: `TEST_DATABASE_URL`
/// and `TEST_REDIS_URL` (`.ci/run` sets both). `None` (and a note on stderr)
/// when either is missing.
pub fn multi_instance_env() -> Option<String> {
    match (std::env::var("TEST_DATABASE_URL"), std::env::var("TEST_REDIS_URL")) {
        (Ok(_), Ok(redis)) => Some(redis),
        _ => {
            eprintln!("several-instances test skipped: set TEST_DATABASE_URL and TEST_REDIS_URL (.ci/run does)");
            None
        }
    }
}

/// A free port now (a service will bind it later, e.g. Tickets "coming back").
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn lookup(vars: HashMap<String, String>) -> impl Fn(&str) -> Option<String> {
    move |k| vars.get(k).cloned()
}

fn tickets_vars(db: &TestDb, ahorro_url: &str, port: u16, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = HashMap::from([
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("BELGRANO_AHORRO_API_KEY".to_owned(), API_KEY.to_owned()),
        ("BELGRANO_AHORRO_URL".to_owned(), ahorro_url.to_owned()),
        ("PORT".to_owned(), port.to_string()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    vars
}

/// A running Belgrano Tickets.
pub struct Tickets {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Tickets {
    /// Starts Tickets on `port` (0 for any) with its demo couriers.
    pub async fn start(db: &TestDb, port: u16, ahorro_url: &str) -> Self {
        Self::start_with(db, port, ahorro_url, &[]).await
    }

    /// Like [`Tickets::start`], with more environment variables
    /// (`REDIS_URL` for an instance of several).
    pub async fn start_with(db: &TestDb, port: u16, ahorro_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut settings =
            belgrano_tickets::Settings::from_lookup(lookup(tickets_vars(db, ahorro_url, port, extra))).unwrap();
        settings.host = "127.0.0.1".into();
        let app = belgrano_tickets::Application::build(settings).await.expect("Tickets starts");
        let port = app.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self { url: format!("http://127.0.0.1:{port}"), stop: Some(stop), server: Some(server) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// Every ticket (up to 1000), through `GET /api/tickets` with the API key.
    pub async fn tickets(&self) -> Vec<Value> {
        tickets_at(&self.url).await
    }

    /// Every ticket, following `next_cursor` page by page.
    pub async fn tickets_all(&self) -> Vec<Value> {
        let client = reqwest::Client::new();
        let mut all = Vec::new();
        let mut cursor: Option<i64> = None;
        loop {
            let mut url = format!("{}/api/tickets?limit=1000", self.url);
            if let Some(c) = cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = client.get(url).header("X-API-Key", API_KEY).send().await.unwrap().json().await.unwrap();
            all.extend(page["tickets"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_i64() {
                Some(c) => cursor = Some(c),
                None => return all,
            }
        }
    }
}

pub async fn tickets_at(url: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!("{url}/api/tickets?limit=1000"))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["tickets"].as_array().cloned().unwrap_or_default()
}

fn ahorro_vars(db: &TestDb, ticketera_url: &str, port: u16, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = HashMap::from([
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("BELGRANO_AHORRO_API_KEY".to_owned(), API_KEY.to_owned()),
        ("TICKETERA_URL".to_owned(), ticketera_url.to_owned()),
        ("SECRET_KEY".to_owned(), "an-e2e-secret-that-is-long-enough-0123456789".to_owned()),
        ("PORT".to_owned(), port.to_string()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    vars
}

/// A running Belgrano Ahorro, in this process.
pub struct Ahorro {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Ahorro {
    pub async fn start(db: &TestDb, ticketera_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut settings =
            belgrano_ahorro::Settings::from_lookup(lookup(ahorro_vars(db, ticketera_url, 0, extra))).unwrap();
        settings.host = "127.0.0.1".into();
        settings.seed_demo_users = false;
        let app = belgrano_ahorro::Application::build(settings).await.expect("Ahorro starts");
        let port = app.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self { url: format!("http://127.0.0.1:{port}"), stop: Some(stop), server: Some(server) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

/// A service as a child process (the same entry point as its binary), so a
/// test can kill it with SIGKILL or stop it with SIGTERM.
pub struct ServiceProcess {
    pub url: String,
    child: Child,
}

impl ServiceProcess {
    /// Spawns the Ahorro `binary` and waits until it answers `/healthz`.
    pub async fn spawn_ahorro(binary: &str, db: &TestDb, ticketera_url: &str, extra: &[(&str, &str)]) -> Self {
        let port = free_port();
        Self::start(binary, ahorro_vars(db, ticketera_url, port, extra), port, "/healthz").await
    }

    /// Spawns the Tickets `binary` on `port` and waits until it answers `/health`.
    pub async fn spawn_tickets(binary: &str, db: &TestDb, port: u16, ahorro_url: &str, extra: &[(&str, &str)]) -> Self {
        Self::start(binary, tickets_vars(db, ahorro_url, port, extra), port, "/health").await
    }

    async fn start(binary: &str, vars: HashMap<String, String>, port: u16, health: &str) -> Self {
        let mut command = Command::new(binary);
        command.env_clear();
        for (k, v) in vars {
            command.env(k, v);
        }
        command.env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
        command.stdout(Stdio::null()).stderr(if std::env::var("TEST_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        });
        // Owned by `Self` at once, so a failed start still kills the child.
        let process = Self {
            url: format!("http://127.0.0.1:{port}"),
            child: command.spawn().expect("the service binary starts"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{}{health}", process.url)).send().await.is_ok_and(|r| r.status().is_success()) {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{binary} did not come up on {}", process.url);
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM (what Render sends before a deploy or a scale-down).
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
    }

    /// The exit status, once the process has exited within `within`; `None`
    /// if it is still running then.
    pub async fn exited_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sum of the samples of Prometheus series `name` whose labels include
/// every `key="value"` in `labels`, scraped from `GET {url}/metrics`.
pub async fn metric_sum(url: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let response =
        reqwest::Client::new().get(format!("{url}/metrics")).header("X-API-Key", API_KEY).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}/metrics");
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .filter(|line| labels.iter().all(|(k, v)| line.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        // fold from +0.0: an empty `sum()` of f64 is -0.0, which prints as "-0".
        .fold(0.0, |total, value| total + value)
}

/// The port of a `http://host:port` URL.
pub fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// A dispatcher's `PATCH /api/tickets/{id}` with the API key; asserts it
/// succeeded and returns the updated ticket.
pub async fn patch_ticket(tickets_url: &str, id: &Value, body: Value) -> Value {
    let response = reqwest::Client::new()
        .patch(format!("{tickets_url}/api/tickets/{id}"))
        .header("X-API-Key", API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{body}: {}", response.status());
    response.json().await.unwrap()
}

/// The tracking link of a checkout answer, absolute.
pub fn tracking_link(ahorro_url: &str, checkout_answer: &Value) -> String {
    let link = checkout_answer["pedido"]["seguimiento_url"].as_str().expect("a tracking link");
    if link.starts_with("http") { link.to_owned() } else { format!("{ahorro_url}{link}") }
}

/// A tracking link's JSON (`Accept: application/json`), with its status.
pub async fn tracking_json(url: &str) -> (u16, Value) {
    let response = reqwest::Client::new().get(url).header("Accept", "application/json").send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// A guest checkout body for `POST /api/checkout`.
pub fn checkout_body(n: usize, items: &[(i64, i64)]) -> Value {
    json!({
        "cliente": {"nombre": "Cliente", "apellido": format!("Número {n}"), "email": format!("c{n}@example.com"), "telefono": "011-5555-0000"},
        "direccion": format!("Av. Cabildo {n}"),
        "metodo_pago": "efectivo",
        "notas": "",
        "items": items.iter().map(|(id, q)| json!({"producto_id": id, "cantidad": q})).collect::<Vec<_>>(),
    })
}

pub async fn checkout(ahorro_url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(format!("{ahorro_url}/api/checkout")).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts that Tickets holds exactly one ticket per order number, and no
/// other tickets.
pub fn assert_exactly_once(tickets: &[Value], numeros: &[String]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in tickets {
        *counts.entry(t["numero"].as_str().unwrap()).or_default() += 1;
    }
    let lost: Vec<&String> = numeros.iter().filter(|n| !counts.contains_key(n.as_str())).collect();
    let doubled: Vec<(&&str, &usize)> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(lost.is_empty(), "orders lost: {lost:?}");
    assert!(doubled.is_empty(), "orders doubled: {doubled:?}");
    assert_eq!(tickets.len(), numeros.len(), "unexpected extra tickets");
}

/// A TCP relay to `target` that holds every chunk a client sends for
/// `delay` before passing it on: a slow network in front of a real service,
/// so a test can catch a request in flight. Answers pass straight back.
pub struct SlowLink {
    pub url: String,
    relay: tokio::task::JoinHandle<()>,
}

impl SlowLink {
    pub async fn start(target_url: &str, delay: Duration) -> Self {
        let target = target_url.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let relay = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    // Each chunk is stamped when it arrives and passed on
                    // `delay` later, so a request in several chunks is late
                    // by `delay` once, not once per chunk.
                    let (chunks, mut due) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
                    let receive = async move {
                        let mut buffer = vec![0u8; 64 * 1024];
                        while let Ok(n) = client_read.read(&mut buffer).await {
                            if n == 0
                                || chunks.send((tokio::time::Instant::now() + delay, buffer[..n].to_vec())).is_err()
                            {
                                break;
                            }
                        }
                    };
                    let pass_on = async move {
                        while let Some((at, bytes)) = due.recv().await {
                            tokio::time::sleep_until(at).await;
                            if server_write.write_all(&bytes).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let answer = async move {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    tokio::join!(receive, pass_on, answer);
                });
            }
        });
        Self { url, relay }
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.relay.abort();
    }
}
