//! Deploys the system as Render would deploy `render.yaml`: from a clean clone,
//! each web service's `buildCommand` and `startCommand` run in the clone with
//! the environment the Blueprint gives (values as written, generated values
//! generated once, the referenced API key copied, the prompted admin account
//! typed in, `PORT`, `RENDER=true`, `RENDER_EXTERNAL_URL`, and `DATABASE_URL`
//! pointing at one new PostgreSQL database for both services). Each must pass
//! its `healthCheckPath`; an order placed in the shop becomes a ticket and its
//! status flows back; then the whole deploy runs again on the same database
//! (a redeploy) and must come up as healthy, with the first order still there.
//!
//! Ignored in the plain test run because it builds both binaries in release
//! mode (minutes on two cores); `.ci/run` runs it. The clone builds into
//! `target/render-deploy/` of this repository, kept between runs as Render
//! keeps its build cache between deploys.

#[path = "desk_session.rs"]
mod desk_session;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use belgrano_e2e::{checkout_body, free_port, tracking_json, tracking_link};
use belgrano_testkit::{TestDb, eventually};
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "duenio@almacen-belgrano.com.ar";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// A value as Render generates one for `generateValue: true` (random, 64
/// characters here).
fn generated() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// A web service of the Blueprint, with the environment Render gives it.
struct Service {
    name: String,
    build: String,
    start: String,
    health: String,
    port: u16,
    env: HashMap<String, String>,
}

impl Service {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Reads the Blueprint's web services and resolves every variable the way
/// Render does when the Blueprint is applied.
fn services_of(blueprint: &Value, database_url: &str, admin_password: &str, smtp_url: &str) -> Vec<Service> {
    let web: Vec<&Value> = blueprint["services"].as_array().unwrap().iter().filter(|s| s["type"] == "web").collect();
    let ports: HashMap<String, u16> =
        web.iter().map(|s| (s["name"].as_str().unwrap().to_owned(), free_port())).collect();
    // The public address Render gives a service, as the Blueprint writes it,
    // reaches the local process here (as DNS would reach Render's).
    let public: HashMap<String, String> = ports
        .iter()
        .map(|(name, port)| (format!("https://{name}.onrender.com"), format!("http://127.0.0.1:{port}")))
        .collect();
    // generateValue: generated once per service and key, so a reference
    // (`fromService … envVarKey`) reads the same value.
    let mut generated_values: HashMap<(String, String), String> = HashMap::new();
    for service in &web {
        for var in service["envVars"].as_array().unwrap() {
            if var["generateValue"] == true {
                let key = (service["name"].as_str().unwrap().to_owned(), var["key"].as_str().unwrap().to_owned());
                generated_values.insert(key, generated());
            }
        }
    }
    web.iter()
        .map(|service| {
            let name = service["name"].as_str().unwrap().to_owned();
            let port = ports[&name];
            let mut env = HashMap::new();
            for var in service["envVars"].as_array().unwrap() {
                let key = var["key"].as_str().unwrap().to_owned();
                let value = if let Some(value) = var["value"].as_str() {
                    public.get(value).cloned().unwrap_or_else(|| value.to_owned())
                } else if var["generateValue"] == true {
                    generated_values[&(name.clone(), key.clone())].clone()
                } else if let Some(from) = var.get("fromService") {
                    let other = from["name"].as_str().unwrap().to_owned();
                    let other_key = from["envVarKey"].as_str().expect("a reference to a variable").to_owned();
                    generated_values.get(&(other, other_key)).cloned().expect("the referenced value is generated there")
                } else if var.get("fromDatabase").is_some() {
                    database_url.to_owned()
                } else if var["sync"] == false {
                    // Asked for when the Blueprint is applied: what the owner types.
                    match key.as_str() {
                        "ADMIN_EMAIL" => ADMIN_EMAIL.to_owned(),
                        "ADMIN_PASSWORD" => admin_password.to_owned(),
                        // A real SMTP server (aiosmtpd) started by this test.
                        "SMTP_URL" => smtp_url.to_owned(),
                        "MAIL_FROM" => "Belgrano <no-responder@belgrano.test>".to_owned(),
                        "CONTACT_EMAIL" => "hola@belgrano.test".to_owned(),
                        other => panic!("render.yaml prompts for {other}: this test does not know what to type"),
                    }
                } else {
                    panic!("{name}: {key} has no source this test knows: {var}");
                };
                env.insert(key, value);
            }
            // What Render sets on every web service.
            env.insert("PORT".into(), port.to_string());
            env.insert("RENDER".into(), "true".into());
            env.insert("RENDER_SERVICE_NAME".into(), name.clone());
            env.insert("RENDER_EXTERNAL_URL".into(), format!("http://127.0.0.1:{port}"));
            Service {
                name,
                build: service["buildCommand"].as_str().unwrap().to_owned(),
                start: service["startCommand"].as_str().unwrap().to_owned(),
                health: service["healthCheckPath"].as_str().unwrap().to_owned(),
                port,
                env,
            }
        })
        .collect()
}

/// The environment of a shell on the build machine: the test's own, less
/// what `cargo test` and rustup put there (so the clone's `rust-toolchain`
/// file picks the compiler, as on Render).
fn build_shell(command: &str, dir: &Path) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(command).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO") || key.starts_with("RUSTUP_TOOLCHAIN") || key.starts_with("RUSTC") {
            shell.env_remove(key);
        }
    }
    shell
}

fn run_build(service: &Service, dir: &Path) {
    let started = Instant::now();
    let status = build_shell(&service.build, dir).stdout(Stdio::null()).status().expect("the build command runs");
    assert!(status.success(), "{}: `{}` failed", service.name, service.build);
    eprintln!("[render-deploy] {}: `{}` in {:.0?}", service.name, service.build, started.elapsed());
}

/// Starts the service with exactly the Blueprint's environment (and a PATH).
fn run_start(service: &Service, dir: &Path) -> Child {
    let mut command = Command::new("sh");
    // `exec`: the shell becomes the service, so SIGTERM reaches it.
    command.arg("-c").arg(format!("exec {}", service.start)).current_dir(dir).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap()).envs(&service.env);
    command.env("RUST_LOG", "warn").stdout(Stdio::null());
    command.stderr(if std::env::var("TEST_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() });
    command.spawn().expect("the start command runs")
}

/// Waits for the health check to answer 2xx, as Render does before it routes
/// traffic to a deploy.
async fn healthy(service: &Service, child: &mut Child) -> Duration {
    let started = Instant::now();
    let url = format!("{}{}", service.url(), service.health);
    let client = reqwest::Client::new();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{}: `{}` exited with {status} before its health check passed", service.name, service.start);
        }
        if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{}: {url} never answered 2xx", service.name);
}

/// SIGTERM, as Render stops the old instance of a deploy; it must exit 0.
fn stop(name: &str, mut child: Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{name} stopped with {status}");
}

async fn tickets_with(url: &str, api_key: &str) -> Vec<Value> {
    let response =
        reqwest::Client::new().get(format!("{url}/api/tickets")).header("X-API-Key", api_key).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET /api/tickets with the generated key");
    response.json::<Value>().await.unwrap()["tickets"].as_array().cloned().unwrap_or_default()
}

/// Places an order in the shop; waits for its ticket; moves the ticket on with
/// the generated key and sees the customer's tracking link follow. Returns the
/// tracking link.
async fn one_order(shop: &Service, desk: &Service, n: usize) -> String {
    let api_key = &desk.env["BELGRANO_AHORRO_API_KEY"];
    // The test stands where Render's proxy stands, which says how it was reached
    // (X-Forwarded-Proto): here plain HTTP, so the tracking link is http://.
    let response = reqwest::Client::new()
        .post(format!("{}/api/checkout", shop.url()))
        .header("X-Forwarded-Proto", "http")
        .json(&checkout_body(n, &[(1, 2), (2, 1)]))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status == 200 || status == 201, "checkout: {status} {answer}");
    let numero = answer["pedido"]["numero"].as_str().expect("an order number").to_owned();
    let find =
        || async { tickets_with(&desk.url(), api_key).await.into_iter().find(|t| t["numero"] == numero.as_str()) };
    let arrived = eventually(Duration::from_secs(30), || async { find().await.is_some() }).await;
    assert!(arrived, "order {numero} never became a ticket");
    let ticket = find().await.unwrap();
    let response = reqwest::Client::new()
        .patch(format!("{}/api/tickets/{}", desk.url(), ticket["id"]))
        .header("X-API-Key", api_key)
        .json(&json!({"estado": "en-preparacion"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the desk moves the ticket on");
    let link = tracking_link(&shop.url(), &answer);
    let followed =
        eventually(Duration::from_secs(30), || async { tracking_json(&link).await.1["estado"] == "en-preparacion" })
            .await;
    assert!(followed, "order {numero}: the status never reached the shop: {}", tracking_json(&link).await.1);
    eprintln!("[render-deploy] order {numero}: checkout → ticket {} → en-preparacion back in the shop", ticket["id"]);
    link
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "builds both services in release mode from a clean clone (minutes): .ci/run runs it"]
async fn render_yaml_deploys_from_a_clean_clone_and_redeploys() {
    let db = TestDb::postgres().await.expect("TEST_DATABASE_URL: Render gives the services a PostgreSQL");
    let repository = repository();
    let workspace = tempfile::tempdir().unwrap();
    let clone = workspace.path().join("belgrano");
    let cloned = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(&repository)
        .arg(&clone)
        .status()
        .expect("git runs");
    assert!(cloned.success(), "git clone");
    // Render keeps a build cache between deploys; so does this test, between runs.
    let cache = repository.join("target/render-deploy");
    std::fs::create_dir_all(&cache).unwrap();
    std::os::unix::fs::symlink(&cache, clone.join("target")).unwrap();

    let toolchain = build_shell("rustc --version", &clone).output().unwrap();
    let pinned = std::fs::read_to_string(clone.join("rust-toolchain")).unwrap();
    let toolchain = String::from_utf8_lossy(&toolchain.stdout).into_owned();
    assert!(toolchain.starts_with(&format!("rustc {} ", pinned.trim())), "the clone builds with {toolchain}");
    eprintln!("[render-deploy] clean clone of {}; {}", repository.display(), toolchain.trim());

    let blueprint: Value =
        serde_norway::from_str(&std::fs::read_to_string(clone.join("render.yaml")).unwrap()).unwrap();
    assert_eq!(blueprint["databases"].as_array().unwrap().len(), 1, "one database for the system");
    let admin_password = generated();
    let smtp = belgrano_testkit::smtp::SmtpServer::start().await;
    let services = services_of(&blueprint, &db.url, &admin_password, &smtp.url());
    let by_binary = |bin: &str| services.iter().find(|s| s.start.ends_with(&format!("/{bin}"))).unwrap();
    let (desk, shop) = (by_binary("tickets"), by_binary("ahorro"));

    let mut first_link = None;
    for deploy in ["first deploy, empty database", "redeploy, same database"] {
        eprintln!("[render-deploy] {deploy}");
        for service in &services {
            run_build(service, &clone);
        }
        let mut running = Vec::new();
        for service in &services {
            let mut child = run_start(service, &clone);
            let took = healthy(service, &mut child).await;
            eprintln!(
                "[render-deploy] {}: {} answered 2xx {took:.0?} after `{}`",
                service.name, service.health, service.start
            );
            running.push((service.name.clone(), child));
        }
        // The admin account typed in when the Blueprint was applied logs in.
        desk_session::DeskSession::login(&desk.url(), ADMIN_EMAIL, &admin_password).await;
        let link = one_order(shop, desk, if first_link.is_none() { 1 } else { 2 }).await;
        match &first_link {
            None => first_link = Some(link),
            Some(first) => {
                let (status, tracked) = tracking_json(first).await;
                assert_eq!(
                    (status, tracked["estado"].as_str()),
                    (200, Some("en-preparacion")),
                    "the first order survived"
                );
            }
        }
        for (name, child) in running {
            stop(&name, child);
        }
    }

    // One database, each service in its own schema with its own migrations.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    for schema in ["tickets", "ahorro"] {
        let table: Option<String> = sqlx::query_scalar("SELECT CAST(to_regclass($1) AS TEXT)")
            .bind(format!("{schema}._sqlx_migrations"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(table.is_some(), "{schema} keeps its migrations in its own schema");
    }
    let public: Option<String> = sqlx::query_scalar("SELECT CAST(to_regclass('public._sqlx_migrations') AS TEXT)")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(public, None, "nothing shared in public");
    pool.close().await;
}
