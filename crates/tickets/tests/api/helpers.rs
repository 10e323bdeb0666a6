//! Spawning a real Tickets service for a test: its own database (from
//! `belgrano_testkit`: a temp SQLite file, or a fresh PostgreSQL database
//! when `TEST_DATABASE_URL` is set), a free port, real HTTP.

use std::collections::HashMap;

use belgrano_tickets::{Application, Settings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const API_KEY: &str = "test-api-key-for-the-tickets-tests-0123";
/// A second valid key (rotation): production refuses keys under 32 characters.
pub const SECOND_KEY: &str = "second-key-for-rotation-tests-4567890";

pub use belgrano_testkit::{Backend, TestDb};

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub fn settings(db: &TestDb, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("BELGRANO_AHORRO_API_KEY".into(), format!("{API_KEY},{SECOND_KEY}")),
        ("PORT".into(), "0".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap();
    settings.host = "127.0.0.1".into();
    settings
}

impl TestApp {
    pub async fn start(settings: Settings) -> Self {
        let app = Application::build(settings).await.expect("the service starts");
        let port = app.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// A service with the five demo couriers.
    pub async fn with_couriers(db: &TestDb) -> Self {
        Self::start(settings(db, &[])).await
    }

    /// Stops gracefully and waits until the database is closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    pub async fn post_ticket(&self, body: &Value) -> (StatusCode, Value) {
        self.api(reqwest::Method::POST, "/api/tickets", body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response =
            self.client.get(format!("{}{path}", self.address)).header("X-API-Key", API_KEY).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every stored ticket (up to 1000), newest first.
    pub async fn all_tickets(&self) -> Vec<Value> {
        let (status, page) = self.get("/api/tickets?limit=1000").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["tickets"].as_array().unwrap().clone()
    }
}

/// A complete order as Ahorro sends it (seed, step 2).
pub fn order(numero: &str) -> Value {
    json!({
        "numero": numero,
        "cliente_nombre": "Juan Pérez",
        "cliente_direccion": "Av. Cabildo 1234, Belgrano",
        "cliente_telefono": "11-5555-1234",
        "cliente_email": "juan@example.com",
        "productos": [
            {"id": 1, "nombre": "Arroz 1kg", "precio": 950, "cantidad": 2, "subtotal": 1900, "sucursal": "sucursal_centro", "negocio": "belgrano_ahorro"},
            {"id": 2, "nombre": "Aceite 900ml", "precio": 1800, "cantidad": 1, "subtotal": 1800}
        ],
        "total": 3700.0,
        "metodo_pago": "efectivo",
        "indicaciones": "Timbre 3B",
        "estado": "pendiente",
        "prioridad": "normal",
        "tipo_cliente": "cliente"
    })
}

impl TestApp {
    /// A JSON call with the API key: the status and the JSON answer (`null` if none).
    pub async fn api(&self, method: reqwest::Method, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("X-API-Key", API_KEY)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `PATCH /api/tickets/{id}` with the API key.
    pub async fn patch_ticket(&self, id: &Value, body: &Value) -> (StatusCode, Value) {
        self.api(reqwest::Method::PATCH, &format!("/api/tickets/{id}"), body).await
    }

    /// Creates a ticket and returns its id.
    pub async fn create(&self, numero: &str) -> Value {
        let (status, body) = self.post_ticket(&order(numero)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["ticket_id"].clone()
    }
}

/// The demo accounts' password (couriers and the default admin).
pub const DEMO_PASSWORD: &str = "demo1234";
/// The default admin (a dispatcher who also manages staff).
pub const ADMIN: &str = "admin@belgrano.local";

/// A browser logged in as `email`.
pub async fn logged_in(app: &TestApp, email: &str, password: &str) -> Browser {
    let mut browser = Browser::new(app);
    let page = browser.login(email, password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{email} logs in: {}", page.body);
    browser
}

/// A browser for the HTML pages: keeps cookies by hand (reqwest's cookie
/// store would hide the `Set-Cookie` attributes the tests check), does not
/// follow redirects (tests look at `Location`), posts forms.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: std::collections::BTreeMap<String, String>,
    /// Sent as `X-Forwarded-For` (what Render's proxy adds in production).
    pub forwarded_for: Option<String>,
}

/// One response of a [`Browser`].
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header, as sent.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }

    /// The `Set-Cookie` header for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the first hidden `csrf` field of the page.
    pub fn csrf_field(&self) -> Option<String> {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.address.clone(), client, cookies: Default::default(), forwarded_for: None }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request.header("cookie", self.cookie_header());
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        let response = request.send().await.unwrap();
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        for cookie in page.set_cookies() {
            let first = cookie.split(';').next().unwrap_or_default();
            let (name, value) = first.split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Posts a form exactly as given (add `("csrf", ...)` yourself).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = belgrano_testkit::urlencode(fields);
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Posts a form with the browser's CSRF token, as a page's form would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// The CSRF cookie's token (opening the login page first if needed).
    pub async fn csrf_token(&mut self) -> String {
        if !self.cookies.contains_key("belgrano_csrf") {
            self.get("/login").await;
        }
        self.cookies.get("belgrano_csrf").cloned().expect("the login page sets the CSRF cookie")
    }

    /// Logs in through the form; returns the answer to the POST.
    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post("/login", &[("email", email), ("password", password)]).await
    }

    pub fn session(&self) -> Option<String> {
        self.cookies.get("belgrano_sesion").cloned()
    }
}
