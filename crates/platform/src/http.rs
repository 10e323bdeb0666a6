//! Web plumbing both services share: the router's outer layers, the JSON
//! body extractor, service authentication by API key, the client's
//! address, and where a login may send someone back to.
//!
//! Each service keeps its own error type (its JSON shape is part of its
//! contract: Tickets answers `"exito": false`, Ahorro `"success": false`);
//! the extractors here reject with it, through the state's [`Surface`].

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use belgrano_contract::API_KEY_HEADER;
use belgrano_contract::ticket::parse_fecha;

use crate::api_key::ApiKeys;

/// What a service's state tells the shared extractors.
pub trait Surface: Send + Sync {
    /// The service's API error: how a bad body or a wrong key is answered.
    type ApiError: From<BodyRejection> + From<Unauthorized> + axum::response::IntoResponse;

    /// The keys `X-API-Key` is checked against.
    fn api_keys(&self) -> &ApiKeys;

    /// Behind Render's proxy the client's address is the last
    /// `X-Forwarded-For` entry; elsewhere it is the TCP peer.
    fn behind_proxy(&self) -> bool;
}

/// Why a JSON body was refused, before any field was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRejection {
    /// Not `Content-Type: application/json` (415).
    UnsupportedMediaType,
    /// Over the service's body limit (413).
    TooLarge,
    /// Not JSON, or not of the expected shape (400); the detail is for logs
    /// and developers, in English as serde words it.
    Malformed(String),
}

/// A JSON body, in the service's error format when it is refused.
///
/// Numbers are read as JSON Schema reads them (and so as the OpenAPI
/// documents state them): a number with no fractional part is an integer,
/// whether it was written `2`, `2.0` or `2e0`, so an `integer` field takes
/// all three.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Surface,
    T: DeserializeOwned,
{
    type Rejection = S::ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, S::ApiError> {
        let mut value = match axum::Json::<serde_json::Value>::from_request(request, state).await {
            Ok(axum::Json(value)) => value,
            Err(JsonRejection::MissingJsonContentType(_)) => return Err(BodyRejection::UnsupportedMediaType.into()),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(BodyRejection::TooLarge.into());
            }
            Err(rejection) => return Err(BodyRejection::Malformed(rejection.body_text()).into()),
        };
        // Every body of these APIs is an object; serde would read an array
        // into a struct by position (`[]` as an empty PATCH).
        if !value.is_object() {
            return Err(BodyRejection::Malformed("the body must be a JSON object".into()).into());
        }
        integral_numbers_as_integers(&mut value);
        T::deserialize(value).map(Json).map_err(|e| BodyRejection::Malformed(e.to_string()).into())
    }
}

/// Rewrites every number with no fractional part (`2.0`, `1e3`) as the
/// integer it is, strictly between -2^63 and 2^63. serde reads an integer
/// literal an `i64` or `u64` cannot hold as a double, rounded: below
/// -2^63 it may round to -2^63 itself, which must not turn into
/// `i64::MIN` (nor anything past the bounds into an integer that fits).
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    /// 2^63, exact in a double.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64().filter(|x| x.fract() == 0.0 && -I64_END < *x && *x < I64_END) {
                *value = Value::from(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// A request without a valid `X-API-Key`. Both services answer it exactly
/// as the old contract did: 401 `{"error": "API key inválida"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unauthorized;

/// Proof that the request carried a valid `X-API-Key`.
pub struct ServiceAuth;

impl<S: Surface> FromRequestParts<S> for ServiceAuth {
    type Rejection = S::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, S::ApiError> {
        let presented = parts.headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if state.api_keys().verify(presented) { Ok(ServiceAuth) } else { Err(Unauthorized.into()) }
    }
}

/// The request id set (or generated) by the request-id layer, at most 128
/// characters.
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(128).collect()),
        ))
    }
}

/// The client's address, for rate limits: the TCP peer, or behind the
/// proxy the last `X-Forwarded-For` entry (Render's proxy appends the
/// address it saw; earlier entries are whatever the client sent).
pub struct ClientAddress(pub String);

impl<S: Surface> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.behind_proxy())))
    }
}

pub fn client_address(parts: &Parts, behind_proxy: bool) -> String {
    if behind_proxy {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
        .unwrap_or_else(|| "desconocida".to_owned())
}

/// Where to send a browser back to after a login or a registration: a
/// path on this site, never another host. Only a relative path starting
/// with a single `/` passes: no `//` (another host), no backslash (which
/// browsers read as a slash, so `/\evil.com` is another host too), no
/// scheme (`https:`, `javascript:` do not start with `/`), no control
/// characters (a header split, a `/\t/evil.com` that browsers strip to
/// `//evil.com`), at most 1000 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control())
            && raw.len() <= 1000;
        ok.then(|| Self(raw.to_owned()))
    }

    /// `raw` if it is a path on this site, else the home page.
    pub fn or_home(raw: &str) -> Self {
        Self::parse(raw).unwrap_or_else(Self::home)
    }

    pub fn home() -> Self {
        Self("/".to_owned())
    }

    pub fn is_home(&self) -> bool {
        self.0 == "/"
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `path` on the login page with this page to come back to
    /// (`/login?next=%2Fperfil`).
    pub fn login_url(&self, path: &str) -> String {
        format!("{path}?next={}", url_encode(&self.0))
    }
}

impl std::fmt::Display for NextPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `next` if it is a path on this site: [`NextPath`]'s rule, as a string.
pub fn safe_next(next: &str) -> Option<String> {
    NextPath::parse(next).map(|n| n.0)
}

/// Whether the client prefers JSON (scripts, the pages' `fetch` calls).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

/// Percent-encodes for a URL query value (`application/x-www-form-urlencoded`:
/// a space becomes `+`).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A timestamp as every API reads one, in the one spelling the OpenAPI
/// documents state: `YYYY-MM-DDTHH:MM:SS`, an optional fraction (`.` and
/// digits), then `Z`, `±HH:MM` or nothing (UTC, as the old system wrote
/// them); a real date and time (a leap second `:60` included). `None` for
/// anything else. Stricter than chrono's parsers alone, which also take a
/// space or a `t` for the `T`, a `−` and unpadded or space-padded fields:
/// a rule a document cannot state is a rule no client can rely on.
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    if !is_timestamp_spelling(raw.as_bytes()) {
        return None;
    }
    parse_fecha(raw)
}

/// A calendar date, spelled `YYYY-MM-DD` and nothing else.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    if !is_date_spelling(raw.as_bytes()) {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

fn all_digits(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_digit)
}

fn is_date_spelling(b: &[u8]) -> bool {
    b.len() == 10 && all_digits(&b[..4]) && b[4] == b'-' && all_digits(&b[5..7]) && b[7] == b'-' && all_digits(&b[8..])
}

fn is_timestamp_spelling(b: &[u8]) -> bool {
    let time =
        |t: &[u8]| all_digits(&t[..2]) && t[2] == b':' && all_digits(&t[3..5]) && t[5] == b':' && all_digits(&t[6..]);
    if b.len() < 19 || !is_date_spelling(&b[..10]) || b[10] != b'T' || !time(&b[11..19]) {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => all_digits(&[*h1, *h2, *m1, *m2]),
        _ => false,
    }
}

/// The rules the APIs apply to text, spelled as the JSON Schema `pattern`s
/// of the OpenAPI documents (ECMA-262 and Python `re` alike, no
/// lookaround), built from what the code uses: `str::trim`
/// (`char::is_whitespace`), `check_text` (no control character but tab
/// and line breaks), `check_email`, `Numero::parse`, [`parse_timestamp`]
/// and [`parse_date`], `str::parse::<i64>` and the services' limits. The
/// services' tests compare every `pattern` of their documents with these,
/// so a document cannot drift from the rule it states.
pub mod text_patterns {
    /// Whether `check_text` refuses `c`.
    fn refused(c: char) -> bool {
        c.is_control() && !matches!(c, '\t' | '\n' | '\r')
    }

    /// A character class of every `char` `keep` holds for, as ranges of
    /// `\uXXXX` escapes; `negated` spells it as the complement (`[^...]`)
    /// of the others instead. Only the Basic Multilingual Plane is spelled:
    /// the predicates used here hold for no character above it.
    fn class(negated: bool, keep: impl Fn(char) -> bool) -> String {
        let listed = |c: char| keep(c) != negated;
        let mut out = String::from(if negated { "[^" } else { "[" });
        let mut run: Option<(u32, u32)> = None;
        fn flush((start, end): (u32, u32), out: &mut String) {
            out.push_str(&format!("\\u{start:04x}"));
            if end > start {
                out.push_str(&format!("-\\u{end:04x}"));
            }
        }
        for code in 0..=0xFFFF_u32 {
            match (char::from_u32(code).is_some_and(listed), run) {
                (true, Some((start, end))) if end + 1 == code => run = Some((start, code)),
                (true, previous) => {
                    if let Some(previous) = previous {
                        flush(previous, &mut out);
                    }
                    run = Some((code, code));
                }
                (false, _) => {}
            }
        }
        if let Some(last) = run {
            flush(last, &mut out);
        }
        out.push(']');
        out
    }

    /// What `trim` removes.
    pub fn whitespace() -> String {
        class(false, char::is_whitespace)
    }

    /// Any character `check_text` allows.
    pub fn allowed() -> String {
        class(true, |c| !refused(c))
    }

    /// A character `check_text` allows that `trim` would not remove.
    pub fn solid() -> String {
        class(true, |c| !refused(c) && !c.is_whitespace())
    }

    /// A non-empty text that starts and ends with a [`solid`] character and
    /// has at most `max` characters (any number: `None`), all allowed: a
    /// text as `trim` leaves it.
    pub fn trimmed_core(max: Option<usize>) -> String {
        let solid = solid();
        match max {
            Some(1) => solid,
            Some(max) => format!("{solid}(?:{}{{0,{}}}{solid})?", allowed(), max.saturating_sub(2)),
            None => format!("{solid}(?:{}*{solid})?", allowed()),
        }
    }

    /// A text that, trimmed, has at most `max` characters (any number:
    /// `None`), all allowed, and is not empty when `required`.
    pub fn trimmed(max: Option<usize>, required: bool) -> String {
        let (ws, core) = (whitespace(), trimmed_core(max));
        if required { format!("^{ws}*{core}{ws}*$") } else { format!("^{ws}*(?:{core})?{ws}*$") }
    }

    /// One of `values` (a wire enum), trimmed; empty too when `empty`.
    pub fn choice(values: &[&str], empty: bool) -> String {
        let ws = whitespace();
        format!("^{ws}*(?:{}){}{ws}*$", values.join("|"), if empty { "?" } else { "" })
    }

    /// A text taken as it is (not trimmed) of at most `max` characters, all
    /// allowed.
    pub fn untrimmed(max: Option<usize>) -> String {
        match max {
            Some(max) => format!("^{}{{0,{max}}}$", allowed()),
            None => format!("^{}*$", allowed()),
        }
    }

    /// An order number as `Numero::parse` reads it: trimmed, 1 to `max`
    /// letters, digits, `-` or `_`.
    pub fn numero(max: usize) -> String {
        let ws = whitespace();
        format!("^{ws}*[A-Za-z0-9_-]{{1,{max}}}{ws}*$")
    }

    /// An address `check_email` accepts once trimmed (or, unless
    /// `required`, an empty text): one `@`, something before it, a domain
    /// with a `.` that neither starts nor ends it, no whitespace or control
    /// character. (Its length limit is in bytes, which no pattern counts.)
    pub fn email(required: bool) -> String {
        let not =
            |extra: &'static [char]| class(true, move |c| !(extra.contains(&c) || c.is_whitespace() || c.is_control()));
        let (any, edge) = (not(&['@']), not(&['@', '.']));
        let core = format!(r"{any}+@{edge}{any}*\.{any}*{edge}");
        let ws = whitespace();
        if required { format!("^{ws}*(?:{core}){ws}*$") } else { format!("^{ws}*(?:{core})?{ws}*$") }
    }

    /// A calendar date `YYYY-MM-DD`, leap years included: what [`parse_date`](super::parse_date) takes.
    pub const DATE: &str = "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)\
        |02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)";

    /// What follows the date in a timestamp [`parse_timestamp`](super::parse_timestamp) takes.
    pub const TIME: &str =
        r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?";

    /// A timestamp as [`parse_timestamp`](super::parse_timestamp) reads it.
    pub fn timestamp() -> String {
        format!("^{DATE}{TIME}$")
    }

    /// A date or a timestamp, trimmed; empty too.
    pub fn date_or_timestamp_trimmed() -> String {
        let ws = whitespace();
        format!("^{ws}*(?:{DATE}(?:{TIME})?)?{ws}*$")
    }

    /// A number from 1 to `max` as `str::trim` then `str::parse::<i64>`
    /// read it: optional `+`, leading zeros, then at most `max`'s value.
    pub fn positive_integer(max: u64) -> String {
        let ws = whitespace();
        format!(r"^{ws}*\+?0*{}{ws}*$", decimal_up_to(max))
    }

    /// The decimal numbers 1..=`max`, without leading zeros.
    pub fn decimal_up_to(max: u64) -> String {
        let digits: Vec<u32> = max.to_string().chars().filter_map(|c| c.to_digit(10)).collect();
        let n = digits.len();
        if digits.iter().all(|d| *d == 9) {
            return if n == 1 { "[1-9]".to_owned() } else { format!("[1-9][0-9]{{0,{}}}", n - 1) };
        }
        let repeat = |count: usize| match count {
            0 => String::new(),
            1 => "[0-9]".to_owned(),
            _ => format!("[0-9]{{{count}}}"),
        };
        let mut options = Vec::new();
        // Fewer digits than `max`.
        match n {
            1 => {}
            2 => options.push("[1-9]".to_owned()),
            _ => options.push(format!("[1-9][0-9]{{0,{}}}", n - 2)),
        }
        // As many: `max`'s first `i` digits, a smaller one, then any.
        let prefix = |i: usize| digits[..i].iter().map(u32::to_string).collect::<String>();
        for (i, digit) in digits.iter().enumerate() {
            let low = u32::from(i == 0);
            if *digit > low {
                let high = digit - 1;
                let choice = if high == low { low.to_string() } else { format!("[{low}-{high}]") };
                options.push(format!("{}{choice}{}", prefix(i), repeat(n - i - 1)));
            }
        }
        options.push(prefix(n));
        format!("(?:{})", options.join("|"))
    }
}

/// What the outer layers need to know of a service.
#[derive(Debug, Clone, Copy)]
pub struct Standard {
    /// Largest accepted request body.
    pub body_bytes: usize,
    /// A request still running after this answers 503.
    pub timeout: Duration,
    /// Served over HTTPS only (production on Render): browsers are told to
    /// keep to HTTPS (HSTS).
    pub https_only: bool,
    /// How a handler that panicked is answered.
    pub on_panic: PanicAnswer,
}

/// How a service answers a handler that panicked: a JSON 500 for API
/// calls, a page for people. Nothing of the panic reaches the client.
pub type PanicAnswer = fn(json: bool) -> Response;

/// The policy every page gets: scripts and everything else from this
/// origin only (no inline script: page data travels as JSON, never as
/// script text), never framed, no plugins, forms post here only. Inline
/// `style` attributes are allowed: they carry data colours and cannot run
/// code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The outer layers every router gets, outermost last: a request id (set or
/// kept, echoed back), a trace span carrying it, the timeout, the body
/// limit, compression (gzip or brotli when the client accepts it; never
/// event streams, images or bodies under 32 bytes: tower-http's default
/// predicate), the browser protections, and a panic turned into a 500
/// answer (instead of a reset connection).
pub fn with_standard_layers(router: Router, standard: Standard) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let on_panic = standard.on_panic;
    let https_only = standard.https_only;
    router
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| catch_panic(on_panic, request, next)))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            browser_protections(https_only, request, next)
        }))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(standard.body_bytes))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| within(standard.timeout, request, next)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Security headers on every answer; a handler's own value wins (the
/// tracking page sends `Referrer-Policy: no-referrer`).
async fn browser_protections(https_only: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https_only {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Whether a request is answered in JSON when something fails outside its
/// handler (a panic, a timeout): API calls and clients that ask for JSON.
fn answers_json(request: &Request) -> bool {
    request.uri().path().starts_with("/api/") || wants_json(request.headers())
}

/// A request still running after `limit` answers 503; an API call gets a
/// JSON body (`{"error": ...}`, which both services' documented error
/// shape admits) instead of an empty one.
async fn within(limit: Duration, request: Request, next: Next) -> Response {
    let json = answers_json(&request);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_secs = limit.as_secs_f64(), "request timed out");
            let message = "La solicitud tardó demasiado; reintente.";
            if json {
                (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"error": message}))).into_response()
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
            }
        }
    }
}

async fn catch_panic(on_panic: PanicAnswer, request: Request, next: Next) -> Response {
    let json = answers_json(&request);
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a handler panicked");
            on_panic(json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/panel?estado=pendiente").as_deref(), Some("/panel?estado=pendiente"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "panel", "", "/a\nb"] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        for bad in ["javascript:alert(1)", "/\t/evil.example", "\\\\evil.example", " /x", "http:/x", "/\u{85}x"] {
            assert_eq!(NextPath::parse(bad), None, "{bad:?}");
            assert!(NextPath::or_home(bad).is_home(), "{bad:?}");
        }
        assert_eq!(NextPath::or_home("/checkout").as_str(), "/checkout");
        assert_eq!(NextPath::or_home("/perfil?x=1&y").login_url("/login"), "/login?next=%2Fperfil%3Fx%3D1%26y");
    }

    #[test]
    fn text_patterns_spell_the_code_s_predicates() {
        let ws = r"[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000]";
        assert_eq!(text_patterns::whitespace(), ws);
        assert_eq!(text_patterns::allowed(), r"[^\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]");
        assert_eq!(
            text_patterns::solid(),
            r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000]"
        );
        // Nothing above the Basic Multilingual Plane is whitespace or a control character.
        assert!(('\u{10000}'..=char::MAX).all(|c| !c.is_whitespace() && !c.is_control()));
        let required = text_patterns::trimmed(Some(3), true);
        assert!(required.starts_with(&format!("^{ws}*[^")) && required.contains("{0,1}"), "{required}");
        assert_eq!(text_patterns::untrimmed(Some(5)), format!("^{}{{0,5}}$", text_patterns::allowed()));
        assert!(text_patterns::email(true).contains(r"+@[^\u0000-\u0020\u002e\u0040\u007f-"));
        assert_eq!(text_patterns::positive_integer(999), format!(r"^{ws}*\+?0*[1-9][0-9]{{0,2}}{ws}*$"),);
        assert!(text_patterns::positive_integer(i64::MAX as u64).contains(
            "(?:[1-9][0-9]{0,17}|[1-8][0-9]{18}|9[0-1][0-9]{17}|92[0-1][0-9]{16}|922[0-2][0-9]{15}|9223[0-2][0-9]{14}|\
             92233[0-6][0-9]{13}|922337[0-1][0-9]{12}|92233720[0-2][0-9]{10}|922337203[0-5][0-9]{9}|\
             9223372036[0-7][0-9]{8}|92233720368[0-4][0-9]{7}|922337203685[0-3][0-9]{6}|9223372036854[0-6][0-9]{5}|\
             92233720368547[0-6][0-9]{4}|922337203685477[0-4][0-9]{3}|9223372036854775[0-7][0-9]{2}|\
             922337203685477580[0-6]|9223372036854775807)"
        ));
        assert_eq!(text_patterns::decimal_up_to(20), "(?:[1-9]|1[0-9]|20)");
        assert_eq!(text_patterns::decimal_up_to(5), "(?:[1-4]|5)");
        assert_eq!(text_patterns::decimal_up_to(100_000), "(?:[1-9][0-9]{0,4}|100000)");
        assert_eq!(text_patterns::choice(&["a", "b"], true), format!("^{ws}*(?:a|b)?{ws}*$"));
    }

    #[test]
    fn a_number_without_fraction_is_an_integer() {
        let mut body: serde_json::Value = serde_json::from_str(
            r#"{"a": 2.0, "b": [1e3, 2.5, -0.0, 1e16], "c": {"min": -9223372036854775808, "below": -9223372036854775809,
                "above": 18446744073709551616, "u": 18446744073709551615, "f": 7}}"#,
        )
        .unwrap();
        integral_numbers_as_integers(&mut body);
        let expected = serde_json::json!({"a": 2, "b": [1000, 2.5, 0, 10_000_000_000_000_000i64], "c": {"min": i64::MIN,
            "below": -(2f64.powi(63)), "above": 2f64.powi(64), "u": u64::MAX, "f": 7}});
        assert_eq!(body, expected);
        assert!(
            body["a"].is_i64() && body["b"][3].is_i64() && body["c"]["below"].is_f64() && body["c"]["above"].is_f64()
        );
    }

    #[test]
    fn timestamps_and_dates_have_one_spelling() {
        for good in [
            "2024-12-01T12:34:56Z",
            "2024-12-01T12:34:56",
            "2024-12-01T12:34:56.5",
            "2024-12-01T12:34:56.1234567890123-03:00",
            "2024-02-29T23:59:60+23:59",
            "0000-02-29T00:00:00.0Z",
            "9999-12-31T23:59:59-00:00",
        ] {
            assert!(parse_timestamp(good).is_some(), "{good:?}");
        }
        for bad in [
            "",
            "2024-12-01",
            "2024-12-01 12:34:56Z",
            "2024-12-01t12:34:56Z",
            "2024-12-01T12:34:56z",
            " 2024-12-01T12:34:56Z",
            "2024-12-01T12:34:56Z ",
            "2024-1-1T1:1:1",
            "+2024-12-01T12:34:56",
            "2024-12-01T12:34:56.",
            "2024-12-01T12:34:56+0100",
            "2024-12-01T12:34:56+01",
            "2024-12-01T12:34:56\u{2212}01:00",
            "2024-12-01T12:34:56+24:00",
            "2024-12-01T12:34:56+23:60",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-12-01T24:00:00Z",
            "2024-12-01T23:60:00Z",
            "2024-12-01T23:59:61Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad:?}");
        }
        assert_eq!(parse_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert!(parse_date("2000-02-29").is_some());
        for bad in ["2023-02-29", "1900-02-29", "2024-1-05", " 2024-01-05", "+2024-01-05", "2024-01-05T00:00:00Z", ""] {
            assert!(parse_date(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_last_forwarded_address_counts_only_behind_the_proxy() {
        let request = axum::http::Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 10.0.0.1")
            .header("x-forwarded-for", "203.0.113.9")
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))))
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        assert_eq!(client_address(&parts, true), "203.0.113.9");
        assert_eq!(client_address(&parts, false), "127.0.0.1");
    }
}
