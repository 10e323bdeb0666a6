//! Spawning a real Ahorro for a test: its own database (`belgrano_testkit`:
//! a temp SQLite file, or a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set), a free port, real HTTP, and a wiremock
//! server standing in for Tickets.

use std::collections::HashMap;

use belgrano_ahorro::{Application, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const API_KEY: &str = "test-api-key-for-the-ahorro-tests-01234";

pub use belgrano_testkit::{Backend, TestDb, eventually, urlencode};

pub fn settings(db: &TestDb, ticketera_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("BELGRANO_AHORRO_API_KEY".into(), API_KEY.into()),
        ("TICKETERA_URL".into(), ticketera_url.into()),
        ("SECRET_KEY".into(), "a-test-secret-that-is-long-enough-0123456789".into()),
        ("PORT".into(), "0".into()),
        ("CHECKOUT_WAIT_MS".into(), "2000".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap();
    settings.host = "127.0.0.1".into();
    settings.seed_demo_users = false;
    settings
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn start(settings: Settings) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            belgrano_platform::telemetry::init(false);
        }
        let app = Application::build(settings).await.expect("the service starts");
        let port = app.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { address: format!("http://127.0.0.1:{port}"), client, stop: Some(stop), server: Some(server) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    pub async fn checkout(&self, body: &Value) -> (StatusCode, Value) {
        let response = self.client.post(format!("{}/api/checkout", self.address)).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response =
            self.client.get(format!("{}{path}", self.address)).header("X-API-Key", API_KEY).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: &Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.address)).json(body);
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn browser(&self) -> Browser {
        Browser { address: self.address.clone(), client: self.client.clone(), cookies: Vec::new(), cookie: None }
    }
}

/// A guest checkout body for `POST /api/checkout`.
pub fn checkout_body(items: &[(i64, i64)]) -> Value {
    json!({
        "cliente": {"nombre": "Juan", "apellido": "Pérez", "email": "juan@example.com", "telefono": "011-5555-1234"},
        "direccion": "Av. Cabildo 1234",
        "metodo_pago": "efectivo",
        "notas": "Timbre 3B",
        "items": items.iter().map(|(id, q)| json!({"producto_id": id, "cantidad": q})).collect::<Vec<_>>(),
    })
}

/// A minimal browser: keeps every cookie it is given (the session's and
/// the CSRF token's), reads CSRF values from pages, does not follow
/// redirects (so tests see them).
pub struct Browser {
    pub address: String,
    client: reqwest::Client,
    /// (name, value) in the order first set.
    cookies: Vec<(String, String)>,
    /// The `Cookie:` header this browser sends (`ahorro_sesion=…; ahorro_csrf=…`).
    pub cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        let marker = "data-csrf=\"";
        let start = self.body.find(marker).expect("a page with the layout") + marker.len();
        self.body[start..start + 64].to_owned()
    }
}

impl Browser {
    fn remember(&mut self, response: &reqwest::Response) {
        for set_cookie in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let set_cookie = set_cookie.to_str().unwrap();
            let pair = set_cookie.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            let removed = value.is_empty() || set_cookie.contains("Max-Age=0");
            match self.cookies.iter_mut().find(|(n, _)| n == name) {
                Some(_) if removed => self.cookies.retain(|(n, _)| n != name),
                Some((_, kept)) => *kept = value.to_owned(),
                None if !removed => self.cookies.push((name.to_owned(), value.to_owned())),
                None => {}
            }
        }
        let header: Vec<String> = self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
        self.cookie = (!header.is_empty()).then(|| header.join("; "));
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        self.remember(&response);
        let status = response.status();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        Page { status, location, body: response.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.address));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencode(form));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    /// Posts a form with this session's CSRF value (read from `/carrito`).
    pub async fn post_csrf(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.get("/carrito").await.csrf();
        let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    pub async fn post_json(&mut self, path: &str, body: &Value) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.address)).json(body);
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.remember(&response);
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn register(&mut self, email: &str, extra: &[(&str, &str)]) -> Page {
        let mut form = vec![
            ("nombre", "Ana"),
            ("apellido", "Gómez"),
            ("email", email),
            ("password", "secreto123"),
            ("confirmar_password", "secreto123"),
            ("telefono", "011-4444-5555"),
            ("direccion", "Juramento 2000"),
            ("terminos", "si"),
        ];
        for (k, v) in extra {
            form.retain(|(key, _)| key != k);
            form.push((k, v));
        }
        self.post_csrf("/register", &form).await
    }
}

/// What Tickets answers to an accepted ticket (the seed's step 5).
pub fn ticket_creado(id: i64, numero: &str) -> Value {
    json!({
        "exito": true, "ticket_id": id, "numero": numero, "estado": "pendiente",
        "repartidor_asignado": "Repartidor1", "fecha_creacion": "2024-12-01T12:34:56Z",
        "cliente_nombre": "Juan Pérez", "total": 130.0
    })
}

/// The tickets a fake Tickets received (its health probes left out).
pub async fn posted(server: &wiremock::MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/api/tickets")
        .collect()
}

/// A browser logged in as the staff account `(email, password)`, and its
/// CSRF token (for `X-CSRF-Token`).
pub async fn staff_login(app: &TestApp, (email, password): (&str, &str)) -> (Browser, String) {
    let mut b = app.browser();
    b.get("/login").await;
    let login = b.post_csrf("/login", &[("email", email), ("password", password), ("next", "/admin")]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "the admin logs in: {}", login.body);
    let csrf = b.get("/carrito").await.csrf();
    (b, csrf)
}

/// A JSON call with the browser's cookies and, if given, `X-CSRF-Token`.
pub async fn api(
    b: &Browser,
    method: Method,
    path: &str,
    body: Option<Value>,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", b.address));
    if let Some(cookie) = &b.cookie {
        request = request.header("Cookie", cookie);
    }
    if let Some(csrf) = csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
