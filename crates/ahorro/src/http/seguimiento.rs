//! The customer's tracking link: `GET /seguimiento/{token}` (a page, or
//! JSON with `Accept: application/json`), its live stream
//! `GET /seguimiento/{token}/eventos`, and `GET /mis_pedidos/eventos` for
//! a logged-in customer's list. Links and the change broadcast live in
//! [`crate::tracking`], what is shown in [`crate::domain::seguimiento`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, HOST};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use belgrano_platform::http::wants_json;
use futures_util::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::error::ApiError;
use super::extract::Visitor;
use super::layout::Layout;
use super::state::AppState;
use crate::domain::pedido::Pedido;
use crate::domain::seguimiento::{EstadoPedido, Paso, Seguimiento};
use crate::tracking;

#[derive(Template, WebTemplate)]
#[template(path = "seguimiento.html")]
pub struct SeguimientoPage {
    pub l: Layout,
    pub p: Pedido,
    pub s: EstadoPedido,
    pub pasos: Vec<Paso>,
    /// The page's event stream.
    pub eventos: String,
}

/// How often an open stream re-reads the database, to see changes that
/// another instance received.
pub const POLL_EVERY: Duration = Duration::from_secs(3);
/// A stream ends after this long; the browser reconnects by itself.
const STREAM_LIFETIME: Duration = Duration::from_secs(600);
/// Orders of an account that `/mis_pedidos` shows (and streams).
const MIS_PEDIDOS: i64 = 50;

const NOT_FOUND: ApiError = ApiError::NotFound("No encontramos ese seguimiento. Revisá el enlace que recibiste.");

/// The absolute tracking link for the checkout answer: scheme and host of
/// the request (as a proxy like Render's forwards them). A missing or odd
/// Host leaves the path alone.
pub fn absolute_url(state: &AppState, headers: &HeaderMap, numero: &str) -> String {
    let path = tracking::path(state.secret(), numero);
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return path;
    }
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some("https") => "https",
        Some("http") => "http",
        _ if state.settings.environment.is_production() => "https",
        _ => "http",
    };
    format!("{scheme}://{host}{path}")
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let json = wants_json(&headers);
    let answer = |e: ApiError| if json { e.into_response() } else { e.page() };
    let Some(numero) = tracking::verify(state.secret(), &token) else { return answer(NOT_FOUND) };
    let (pedido, seguimiento) = match tokio::try_join!(state.store.pedido(&numero), state.store.seguimiento(&numero)) {
        Ok((Some(p), Some(s))) => (p, s),
        Ok(_) => return answer(NOT_FOUND),
        Err(e) => return answer(e.into()),
    };
    let estado = EstadoPedido::from(&seguimiento);
    if json {
        let items: Vec<_> = pedido
            .items
            .iter()
            .map(|i| json!({"nombre": i.nombre, "cantidad": i.cantidad, "subtotal": i.subtotal.pesos()}))
            .collect();
        let mut body = serde_json::to_value(&estado).unwrap_or_default();
        body["total"] = json!(pedido.total.pesos());
        body["items"] = json!(items);
        return Json(body).into_response();
    }
    let layout = match Layout::new(&state, &visitor, format!("Seguimiento del pedido {numero}")).await {
        Ok(l) => l,
        Err(e) => return answer(e),
    };
    let eventos = format!("/seguimiento/{token}/eventos");
    let mut response =
        SeguimientoPage { l: layout, p: pedido, pasos: estado.pasos(), s: estado, eventos }.into_response();
    // The URL is the key: keep it out of Referer headers and search engines.
    response.headers_mut().insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// Which orders a stream follows.
enum Alcance {
    Pedido(String),
    Cuenta(i64),
}

pub async fn events(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::verify(state.secret(), &token) {
        Some(numero) => sse(stream(state, Alcance::Pedido(numero))),
        None => NOT_FOUND.into_response(),
    }
}

pub async fn mis_events(State(state): State<AppState>, visitor: Visitor) -> Response {
    match visitor.usuario {
        Some(u) => sse(stream(state, Alcance::Cuenta(u.id))),
        None => ApiError::LoginRequired.into_response(),
    }
}

fn sse(stream: impl Stream<Item = Result<Event, Infallible>> + Send + 'static) -> Response {
    let mut response = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // Proxies must pass events through as they come.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

struct Watcher {
    state: AppState,
    alcance: Alcance,
    novedades: tokio::sync::broadcast::Receiver<String>,
    closing: tokio::sync::watch::Receiver<bool>,
    tick: tokio::time::Interval,
    until: tokio::time::Instant,
    /// What each order looked like when last sent.
    sent: HashMap<String, EstadoPedido>,
    queue: std::collections::VecDeque<Event>,
    started: bool,
}

impl Watcher {
    fn concerns(&self, numero: &str) -> bool {
        match &self.alcance {
            Alcance::Pedido(n) => n == numero,
            Alcance::Cuenta(_) => self.sent.contains_key(numero),
        }
    }

    /// Re-reads the orders and queues an `estado` event for each change.
    async fn refresh(&mut self) {
        let rows: Result<Vec<Seguimiento>, _> = match &self.alcance {
            Alcance::Pedido(n) => self.state.store.seguimiento(n).await.map(|s| s.into_iter().collect()),
            Alcance::Cuenta(id) => self.state.store.seguimientos_de(*id, MIS_PEDIDOS).await,
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                // The next tick tries again; the page keeps what it shows.
                tracing::warn!(error = %e, "seguimiento: no se pudo leer el estado");
                return;
            }
        };
        for row in &rows {
            let estado = EstadoPedido::from(row);
            if self.sent.get(&estado.numero) == Some(&estado) {
                continue;
            }
            let mut event = Event::default().event("estado").json_data(&estado).unwrap_or_default();
            if !self.started {
                event = event.retry(Duration::from_secs(3));
                self.started = true;
            }
            self.queue.push_back(event);
            self.sent.insert(estado.numero.clone(), estado);
        }
    }

    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            if *self.closing.borrow() {
                return None;
            }
            tokio::select! {
                changed = self.closing.changed() => if changed.is_err() { return None },
                _ = tokio::time::sleep_until(self.until) => return None,
                _ = self.tick.tick() => self.refresh().await,
                got = self.novedades.recv() => match got {
                    Ok(numero) if self.concerns(&numero) => self.refresh().await,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => self.refresh().await,
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// Sends the current state at once, then every change until the client
/// leaves, the lifetime ends or the service stops.
fn stream(state: AppState, alcance: Alcance) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watcher = Watcher {
        novedades: state.novedades.subscribe(),
        closing: state.novedades.closing(),
        state,
        alcance,
        // The first tick fires at once: that is the initial state.
        tick,
        until: tokio::time::Instant::now() + STREAM_LIFETIME,
        sent: HashMap::new(),
        queue: Default::default(),
        started: false,
    };
    futures_util::stream::unfold(watcher, |mut w| async move { w.next().await.map(|e| (Ok(e), w)) })
}
