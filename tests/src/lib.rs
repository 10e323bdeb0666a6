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

pub const API_KEY: &str = "e2e-api-key-shared-by-both-services-0123";

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

fn tickets_vars(database_url: &str, ahorro_url: &str, port: u16, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = HashMap::from([
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
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
        Self::start_on(&db.url, port, ahorro_url, extra).await
    }

    /// Like [`Tickets::start_with`], on the database `database_url` names
    /// (e.g. one on a [`PrivatePostgres`]).
    pub async fn start_on(database_url: &str, port: u16, ahorro_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut settings =
            belgrano_tickets::Settings::from_lookup(lookup(tickets_vars(database_url, ahorro_url, port, extra)))
                .unwrap();
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
        tickets_all_at(&self.url).await
    }
}

/// Every ticket of the Tickets at `url`, following `next_cursor` page by page.
pub async fn tickets_all_at(url: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut page_url = format!("{url}/api/tickets?limit=1000");
        if let Some(c) = cursor {
            page_url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client.get(page_url).header("X-API-Key", API_KEY).send().await.unwrap().json().await.unwrap();
        all.extend(page["tickets"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => return all,
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

fn ahorro_vars(database_url: &str, ticketera_url: &str, port: u16, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = HashMap::from([
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
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
        Self::start_on(&db.url, ticketera_url, extra).await
    }

    /// Like [`Ahorro::start`], on the database `database_url` names (e.g.
    /// one on a [`PrivatePostgres`]).
    pub async fn start_on(database_url: &str, ticketera_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut settings =
            belgrano_ahorro::Settings::from_lookup(lookup(ahorro_vars(database_url, ticketera_url, 0, extra))).unwrap();
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
        Self::start(binary, ahorro_vars(&db.url, ticketera_url, port, extra), port, "/healthz").await
    }

    /// Spawns the Tickets `binary` on `port` and waits until it answers `/health`.
    pub async fn spawn_tickets(binary: &str, db: &TestDb, port: u16, ahorro_url: &str, extra: &[(&str, &str)]) -> Self {
        Self::start(binary, tickets_vars(&db.url, ahorro_url, port, extra), port, "/health").await
    }

    /// Like [`ServiceProcess::spawn_ahorro`], on the database `database_url` names.
    pub async fn spawn_ahorro_on(
        binary: &str,
        database_url: &str,
        ticketera_url: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        Self::start(binary, ahorro_vars(database_url, ticketera_url, port, extra), port, "/healthz").await
    }

    /// Like [`ServiceProcess::spawn_tickets`], on the database `database_url` names.
    pub async fn spawn_tickets_on(
        binary: &str,
        database_url: &str,
        port: u16,
        ahorro_url: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        Self::start(binary, tickets_vars(database_url, ahorro_url, port, extra), port, "/health").await
    }

    /// Whether the process is still running (it has not exited or crashed).
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
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

/// A PostgreSQL server of the test's own, on a free port and in a temporary
/// directory, so a test can stop and restart it without disturbing the
/// machine's shared server (other tests use that one at the same time).
///
/// Uses Debian's binaries (`/usr/lib/postgresql/<version>/bin`, the newest
/// installed). PostgreSQL refuses to run as root, so when the tests run as
/// root (CI does) the server runs as the `postgres` OS user (`runuser`), in
/// a directory it owns. Trust authentication, user `postgres`, no fsync (a
/// test's data need not survive a power cut, only a restart).
pub struct PrivatePostgres {
    pub port: u16,
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    as_postgres_user: bool,
}

impl PrivatePostgres {
    /// The newest installed `/usr/lib/postgresql/<version>/bin` with `initdb`.
    pub fn binaries() -> Option<std::path::PathBuf> {
        let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version: u32 = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").exists().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    }

    /// Creates a cluster and starts it. `None`, with a note on stderr, when
    /// no PostgreSQL binaries are installed; panics (with the server's log)
    /// when they are but the server does not start.
    pub async fn start() -> Option<Self> {
        let Some(bin) = Self::binaries() else {
            eprintln!("private PostgreSQL not available: no /usr/lib/postgresql/*/bin/initdb on this machine");
            return None;
        };
        let dir = tempfile::Builder::new().prefix("belgrano-pg-").tempdir().expect("a temporary directory");
        let as_postgres_user = running_as_root();
        if as_postgres_user {
            let owned = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().expect("chown runs");
            assert!(owned.success(), "chown postgres {}", dir.path().display());
        }
        let server = Self { port: free_port(), bin, dir, as_postgres_user };
        let data = server.data_dir();
        server
            .run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
            .await;
        server.start_again().await;
        Some(server)
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates database `name`; returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let output = tokio::process::Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name])
            .output()
            .await
            .expect("createdb runs");
        assert!(output.status.success(), "createdb {name}: {}", String::from_utf8_lossy(&output.stderr));
        self.url(name)
    }

    /// `pg_ctl stop -m fast`: sessions are ended (their transactions rolled
    /// back), the server is down until [`PrivatePostgres::start_again`].
    pub async fn stop(&self) {
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "-t", "30", "stop"]).await;
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub async fn start_again(&self) {
        let (data, log, options) = (self.data_dir(), self.log_file(), self.server_options());
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-w", "-t", "30", "start"]).await;
    }

    /// `pg_ctl restart -m fast`: down and up again at once (well under a second).
    pub async fn restart(&self) {
        let (data, log, options) = (self.data_dir(), self.log_file(), self.server_options());
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-m", "fast", "-w", "-t", "30", "restart"]).await;
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_default()
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log_file(&self) -> String {
        self.dir.path().join("server.log").display().to_string()
    }

    /// TCP on 127.0.0.1 only, the Unix socket in the private directory.
    fn server_options(&self) -> String {
        format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display())
    }

    fn command(&self, program: &str) -> std::process::Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.current_dir(self.dir.path());
        command
    }

    async fn run(&self, program: &str, args: &[&str]) {
        let mut command = tokio::process::Command::from(self.command(program));
        let output = command.args(args).output().await.unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?}: {}\n{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// What a [`FlakyLink`] does to the requests it carries. Each request (each
/// exchange on a connection: what the client sends until the answer starts)
/// draws one fate; shares are in percent, the rest pass.
#[derive(Debug, Clone, Copy)]
pub struct Flakiness {
    /// Added to every chunk, both ways.
    pub latency: Duration,
    /// Requests held `slow` longer on their way to the service.
    pub slow_percent: u32,
    pub slow: Duration,
    /// Requests cut halfway: half of their first chunk goes through, then
    /// the link closes both connections, so the service never gets it all.
    pub cut_request_percent: u32,
    /// Requests that reach the service whole, whose answer is cut: the link
    /// closes both connections when the answer starts, so the service did
    /// the work and the client never hears of it.
    pub cut_answer_percent: u32,
    /// The draw is a fixed sequence from this seed (which request gets which
    /// fate still depends on the order requests arrive in).
    pub seed: u64,
}

/// What a [`FlakyLink`] did so far, by fate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlakyCounts {
    pub passed: usize,
    pub slowed: usize,
    pub cut_requests: usize,
    pub cut_answers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Pass,
    Slow,
    CutRequest,
    CutAnswer,
}

struct FlakyDraw {
    flakiness: Flakiness,
    rng: u64,
    counts: FlakyCounts,
}

impl FlakyDraw {
    fn next(&mut self) -> Fate {
        // xorshift64*: reproducible, no dependency.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let roll = (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % 100;
        let f = self.flakiness;
        let fate = match roll as u32 {
            r if r < f.cut_request_percent => Fate::CutRequest,
            r if r < f.cut_request_percent + f.cut_answer_percent => Fate::CutAnswer,
            r if r < f.cut_request_percent + f.cut_answer_percent + f.slow_percent => Fate::Slow,
            _ => Fate::Pass,
        };
        match fate {
            Fate::Pass => self.counts.passed += 1,
            Fate::Slow => self.counts.slowed += 1,
            Fate::CutRequest => self.counts.cut_requests += 1,
            Fate::CutAnswer => self.counts.cut_answers += 1,
        }
        fate
    }
}

/// A TCP relay to `target` over a bad network: every chunk is late by
/// [`Flakiness::latency`] both ways, some requests are slower still, and a
/// share of requests are cut mid-way (before the service has all of the
/// request, or after it answered, before the client hears the answer). Put
/// one in front of each service to break both directions of a link.
pub struct FlakyLink {
    pub url: String,
    draw: std::sync::Arc<std::sync::Mutex<FlakyDraw>>,
    relay: tokio::task::JoinHandle<()>,
}

impl FlakyLink {
    pub async fn start(target_url: &str, flakiness: Flakiness) -> Self {
        let target = target_url.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let draw = std::sync::Arc::new(std::sync::Mutex::new(FlakyDraw {
            flakiness,
            rng: flakiness.seed.max(1),
            counts: FlakyCounts::default(),
        }));
        let relay = tokio::spawn({
            let draw = draw.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(flaky_connection(client, target.clone(), flakiness, draw.clone()));
                }
            }
        });
        Self { url, draw, relay }
    }

    /// Requests carried so far, by fate.
    pub fn counts(&self) -> FlakyCounts {
        self.draw.lock().unwrap().counts
    }
}

impl Drop for FlakyLink {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

/// One client connection through a [`FlakyLink`].
async fn flaky_connection(
    client: tokio::net::TcpStream,
    target: String,
    flakiness: Flakiness,
    draw: std::sync::Arc<std::sync::Mutex<FlakyDraw>>,
) {
    use std::sync::{Arc, Mutex};
    use tokio::time::Instant;

    let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // (a new request is due, the fate of the current one)
    let exchange = Arc::new(Mutex::new((true, Fate::Pass)));
    let cut = Arc::new(tokio::sync::Notify::new());
    let latency = flakiness.latency;

    // Client → service: (when, bytes, cut after writing them).
    let (up, mut up_due) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>, bool)>();
    let receive_up = {
        let exchange = exchange.clone();
        async move {
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(n) = client_read.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                let fate = {
                    let mut exchange = exchange.lock().unwrap();
                    if exchange.0 {
                        *exchange = (false, draw.lock().unwrap().next());
                        if exchange.1 == Fate::CutRequest {
                            let _ = up.send((Instant::now() + latency, buffer[..n / 2].to_vec(), true));
                            break;
                        }
                    }
                    exchange.1
                };
                let at = Instant::now() + if fate == Fate::Slow { latency + flakiness.slow } else { latency };
                if up.send((at, buffer[..n].to_vec(), false)).is_err() {
                    break;
                }
            }
        }
    };
    let pass_up = {
        let cut = cut.clone();
        async move {
            while let Some((at, bytes, cut_after)) = up_due.recv().await {
                tokio::time::sleep_until(at).await;
                if server_write.write_all(&bytes).await.is_err() {
                    break;
                }
                if cut_after {
                    cut.notify_one();
                    return;
                }
            }
            let _ = server_write.shutdown().await;
        }
    };
    // Service → client.
    let (down, mut down_due) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let receive_down = {
        let cut = cut.clone();
        async move {
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(n) = server_read.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                {
                    let mut exchange = exchange.lock().unwrap();
                    if exchange.1 == Fate::CutAnswer {
                        cut.notify_one();
                        return;
                    }
                    // The answer is coming: what the client sends next is a new request.
                    exchange.0 = true;
                }
                if down.send((Instant::now() + latency, buffer[..n].to_vec())).is_err() {
                    break;
                }
            }
        }
    };
    let pass_down = async move {
        while let Some((at, bytes)) = down_due.recv().await {
            tokio::time::sleep_until(at).await;
            if client_write.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    // A cut drops every half at once: both connections close mid-exchange.
    tokio::select! {
        _ = async { tokio::join!(receive_up, pass_up, receive_down, pass_down) } => {}
        _ = cut.notified() => {}
    }
}
