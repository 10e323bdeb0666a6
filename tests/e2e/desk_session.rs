//! A person's session on Belgrano Tickets over plain HTTP (the login form
//! with its CSRF token), and the live connection it opens: for the tests
//! that prove a socket lives no longer than its session, across instances.
//! Included by those tests with `#[path = "desk_session.rs"] mod desk_session;`.
// Each test uses what it needs.
#![allow(dead_code)]

use std::time::Duration;

use belgrano_testkit::socket_client::{Connect, SocketClient};
use reqwest::StatusCode;
use serde_json::json;

/// A logged-in person: the session and CSRF cookies the browser would hold.
pub struct DeskSession {
    pub session: String,
    csrf: String,
    client: reqwest::Client,
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

impl DeskSession {
    /// Logs in through the form of the instance at `tickets_url`.
    pub async fn login(tickets_url: &str, email: &str, password: &str) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = client.get(format!("{tickets_url}/login")).send().await.unwrap();
        let csrf = cookie_value(&form, "belgrano_csrf").expect("the login page sets the CSRF cookie");
        let answer = client
            .post(format!("{tickets_url}/login"))
            .header("cookie", format!("belgrano_csrf={csrf}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(belgrano_testkit::urlencode(&[("csrf", &csrf), ("email", email), ("password", password)]))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{email} logs in on {tickets_url}");
        let session = cookie_value(&answer, "belgrano_sesion").expect("a session cookie");
        let csrf = cookie_value(&answer, "belgrano_csrf").unwrap_or(csrf);
        Self { session, csrf, client }
    }

    fn cookies(&self) -> String {
        format!("belgrano_sesion={}; belgrano_csrf={}", self.session, self.csrf)
    }

    /// Posts a form (with the CSRF token) to `path` of the instance at
    /// `tickets_url` (any instance: sessions live in the shared database).
    pub async fn post(&self, tickets_url: &str, path: &str, fields: &[(&str, &str)]) -> StatusCode {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(format!("{tickets_url}{path}"))
            .header("cookie", self.cookies())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(belgrano_testkit::urlencode(&all))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The id of the courier with `email`, from the fleet page (despacho only).
    pub async fn courier_id(&self, tickets_url: &str, email: &str) -> i64 {
        let page = self
            .client
            .get(format!("{tickets_url}/repartidores"))
            .header("cookie", self.cookies())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let row = page.split("<tr").find(|r| r.contains(email)).unwrap_or_else(|| panic!("{email} is listed"));
        let start = row.find("data-id=\"").unwrap() + "data-id=\"".len();
        row[start..start + row[start..].find('"').unwrap()].parse().unwrap()
    }

    /// A live connection with this session's cookie to the instance on `port`.
    pub async fn socket(&self, port: u16) -> SocketClient {
        let cookie = format!("belgrano_sesion={}", self.session);
        match SocketClient::connect(port, None, &[("cookie", &cookie)]).await {
            Connect::Accepted(client) => client,
            Connect::Refused(error, _) => panic!("the session's socket is refused: {error}"),
        }
    }
}

/// Asserts the server disconnected `client` for `motivo` within `wait`: it
/// hears `desconexion` (whatever came before is skipped), then gets no
/// answer to a catch-up.
pub async fn assert_disconnected(client: &mut SocketClient, motivo: &str, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some((name, payload)) = client.next_event(left).await else {
            panic!("no disconnect notice ({motivo}) within {wait:?}")
        };
        if name == "desconexion" {
            assert_eq!(payload["motivo"], motivo, "{payload}");
            break;
        }
    }
    let answer = client.emit_with_ack("sincronizar", json!({"desde_seq": 0}), Duration::from_millis(800)).await;
    assert!(answer.is_none(), "a disconnected socket still gets the history: {answer:?}");
}

/// Asserts `client` is connected and allowed: its catch-up is answered.
pub async fn assert_live(client: &mut SocketClient) {
    let answer = client.emit_with_ack("sincronizar", json!({"desde_seq": 0}), Duration::from_secs(5)).await;
    let answer = answer.expect("a live socket's catch-up is answered");
    assert!(answer["eventos"].is_array(), "{answer}");
}
