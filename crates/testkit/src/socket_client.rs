//! A small Socket.IO v5 client (Engine.IO v4 over WebSocket), enough to
//! prove what a real client sees: connect with or without credentials,
//! receive events, answer pings.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct SocketClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

#[derive(Debug)]
pub enum Connect {
    Accepted(SocketClient),
    /// The server answered CONNECT_ERROR with this payload.
    Refused(Value, SocketClient),
}

impl SocketClient {
    /// Opens the transport and asks to join namespace `/` with `auth`.
    pub async fn connect(port: u16, auth: Option<Value>, headers: &[(&str, &str)]) -> Connect {
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("websocket handshake");
        let mut client = SocketClient { ws };
        let open = client.next_text().await.expect("engine.io open packet");
        assert!(open.starts_with('0'), "expected an open packet, got {open}");
        let connect = match auth {
            Some(auth) => format!("40{auth}"),
            None => "40".to_owned(),
        };
        client.ws.send(Message::text(connect)).await.unwrap();
        let answer = client.next_text().await.expect("connect answer");
        if answer.starts_with("40") {
            // Wait until the server has put the socket in its room.
            let (name, _) = client.next_event(std::time::Duration::from_secs(5)).await.expect("a welcome event");
            assert_eq!(name, "bienvenida");
            Connect::Accepted(client)
        } else if let Some(error) = answer.strip_prefix("44") {
            Connect::Refused(serde_json::from_str(error).unwrap_or(Value::Null), client)
        } else {
            panic!("unexpected answer to CONNECT: {answer}")
        }
    }

    /// The next Engine.IO text packet other than a ping (pings are answered).
    async fn next_text(&mut self) -> Option<String> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(text)) => {
                    let text = text.to_string();
                    if text == "2" {
                        self.ws.send(Message::text("3")).await.ok()?;
                        continue;
                    }
                    return Some(text);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next event within `wait`, as `(name, payload)`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let text = tokio::time::timeout_at(deadline, self.next_text()).await.ok()??;
            if let Some(event) = text.strip_prefix("42") {
                let mut parts: Vec<Value> = serde_json::from_str(event).unwrap();
                let payload = if parts.len() > 1 { parts.remove(1) } else { Value::Null };
                let name = parts[0].as_str().unwrap().to_owned();
                return Some((name, payload));
            }
        }
    }

    /// Emits `event` with `data` and waits for the server's acknowledgement.
    /// Events that arrive meanwhile are dropped.
    pub async fn emit_with_ack(&mut self, event: &str, data: Value, wait: Duration) -> Option<Value> {
        let id = 1;
        let packet = format!("42{id}{}", serde_json::json!([event, data]));
        self.ws.send(Message::text(packet)).await.ok()?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let text = tokio::time::timeout_at(deadline, self.next_text()).await.ok()??;
            if let Some(ack) = text.strip_prefix(&format!("43{id}")) {
                let mut parts: Vec<Value> = serde_json::from_str(ack).unwrap();
                return Some(parts.remove(0));
            }
        }
    }

    /// Whether the server closes the connection within `wait` (events and
    /// pings meanwhile are read and dropped).
    #[allow(dead_code)] // used by the e2e stop test
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.next_text()).await {
                Ok(Some(_)) => continue,
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    /// Events until `wait` passes with nothing new.
    pub async fn drain(&mut self, wait: Duration) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event(wait).await {
            events.push(event);
        }
        events
    }
}

impl std::fmt::Debug for SocketClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketClient")
    }
}
