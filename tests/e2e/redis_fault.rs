//! Redis goes away and comes back while two Tickets instances share their
//! live boards through it. Each instance must keep taking orders and
//! serving its own boards while it is away; when it is back, events are
//! shared again by themselves, every board catches up what it missed, and a
//! disconnect that could not be relayed meanwhile still happens.
//!
//! A private `redis-server` (Debian's binary) on a free port, so the test can
//! kill it and start it again on the same port without disturbing anyone;
//! both instances on one PostgreSQL test database (`TEST_DATABASE_URL`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use belgrano_e2e::*;
use belgrano_testkit::socket_client::{Connect, SocketClient};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "desk_session.rs"]
mod desk_session;
use desk_session::{DeskSession, assert_disconnected};

/// A `redis-server` of the test's own; killed when dropped.
struct PrivateRedis {
    port: u16,
    child: Child,
}

impl PrivateRedis {
    /// Starts it on `port` (no persistence) and waits until it answers PING.
    async fn start(port: u16) -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} ({e}); install Debian's redis-server"));
        let redis = Self { port, child };
        let up = eventually(Duration::from_secs(10), || async { redis.answers_ping().await }).await;
        assert!(up, "redis-server did not come up on port {port}");
        redis
    }

    async fn answers_ping(&self) -> bool {
        let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else { return false };
        if stream.write_all(b"PING\r\n").await.is_err() {
            return false;
        }
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).await.is_ok() && &answer == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        // SIGKILL: gone at once, as when the Key Value instance dies.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn board(tickets: &Tickets) -> SocketClient {
    match SocketClient::connect(port_of(&tickets.url), Some(json!({"api_key": API_KEY})), &[]).await {
        Connect::Accepted(client) => client,
        Connect::Refused(error, _) => panic!("the board is refused: {error}"),
    }
}

/// Posts a ticket; intake must answer 200 whatever Redis does.
async fn post_ticket(tickets: &Tickets, numero: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/tickets", tickets.url))
        .header("X-API-Key", API_KEY)
        .json(&json!({"numero": numero, "cliente_nombre": "Ana Gómez", "cliente_direccion": "Juramento 2100", "total": 1900.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{numero} on {}", tickets.url);
}

/// Reads events until `name` (and, for `nuevo_ticket`, order `numero`)
/// arrives within `wait`; returns its payload. Other events are skipped.
async fn wait_for(board: &mut SocketClient, name: &str, numero: Option<&str>, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (heard, payload) = board.next_event(left).await?;
        if heard == name && numero.is_none_or(|n| payload["numero"] == n) {
            return Some(payload);
        }
    }
}

/// Every `nuevo_ticket` after `desde_seq`, by order number, through the
/// catch-up (page by page).
async fn caught_up(board: &mut SocketClient, mut desde_seq: i64) -> Vec<String> {
    let mut numeros = Vec::new();
    loop {
        let page = board
            .emit_with_ack("sincronizar", json!({"desde_seq": desde_seq}), Duration::from_secs(5))
            .await
            .expect("a catch-up answer");
        for event in page["eventos"].as_array().expect("events") {
            if event["evento"] == "nuevo_ticket" {
                numeros.push(event["datos"]["numero"].as_str().unwrap().to_owned());
            }
        }
        desde_seq = page["ultimo_seq"].as_i64().unwrap();
        if page["completo"] == true {
            return numeros;
        }
    }
}

const SOON: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_ride_out_a_redis_outage_and_catch_up_when_it_returns() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("Redis fault test skipped: set TEST_DATABASE_URL (.ci/run does)");
        return;
    };
    let redis_port = free_port();
    let redis = PrivateRedis::start(redis_port).await;
    let url = redis.url();
    let ahorro_url = format!("http://127.0.0.1:{}", free_port());
    let extra = [("REDIS_URL", url.as_str())];
    // One after the other: this test is about what happens once both run.
    let a = Tickets::start_with(&db, 0, &ahorro_url, &extra).await;
    let b = Tickets::start_with(&db, 0, &ahorro_url, &extra).await;
    let (mut board_a, mut board_b) = (board(&a).await, board(&b).await);
    // A dispatcher logged in on A whose board is connected to B.
    let leaving = DeskSession::login(&a.url, "admin@belgrano.local", "demo1234").await;
    let mut leaving_on_b = leaving.socket(port_of(&b.url)).await;

    // Shared as usual.
    post_ticket(&a, "RF-1").await;
    assert!(wait_for(&mut board_a, "nuevo_ticket", Some("RF-1"), SOON).await.is_some());
    let seen = wait_for(&mut board_b, "nuevo_ticket", Some("RF-1"), SOON).await.expect("B's board hears A's ticket");
    let last_seen_by_b = seen["seq"].as_i64().unwrap();

    // Redis dies. Each instance keeps taking orders and serving its own boards.
    drop(redis);
    let mut missed_by_b = Vec::new();
    for n in 1..=3 {
        let numero = format!("RF-DOWN-A-{n}");
        post_ticket(&a, &numero).await;
        let heard = wait_for(&mut board_a, "nuevo_ticket", Some(&numero), SOON).await;
        assert!(heard.is_some(), "A's own board hears {numero} with Redis down");
        missed_by_b.push(numero);
    }
    post_ticket(&b, "RF-DOWN-B-1").await;
    assert!(
        wait_for(&mut board_b, "nuevo_ticket", Some("RF-DOWN-B-1"), SOON).await.is_some(),
        "B's own board hears B's ticket with Redis down"
    );
    // A logout on A that cannot reach B now.
    assert_eq!(leaving.post(&a.url, "/logout", &[]).await, 303);

    // Redis comes back on the same port: nobody restarts anything.
    let _redis = PrivateRedis::start(redis_port).await;
    let told = wait_for(&mut board_b, "resincronizar", None, Duration::from_secs(15)).await;
    assert!(told.is_some(), "B tells its boards to catch up once its link is back");
    let caught = caught_up(&mut board_b, last_seen_by_b).await;
    for numero in &missed_by_b {
        assert!(caught.contains(numero), "B's board catches up {numero}: {caught:?}");
    }
    // The socket whose session ended meanwhile is disconnected after all.
    assert_disconnected(&mut leaving_on_b, "sesion-cerrada", Duration::from_secs(10)).await;

    // A's tickets reach B's board live again within seconds, and B's A's.
    let mut back = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    for n in 1.. {
        let numero = format!("RF-BACK-A-{n}");
        post_ticket(&a, &numero).await;
        if wait_for(&mut board_b, "nuevo_ticket", Some(&numero), Duration::from_secs(1)).await.is_some() {
            back = Some(n);
            break;
        }
        if tokio::time::Instant::now() > deadline {
            break;
        }
    }
    assert!(back.is_some(), "A's tickets never reached B's board again");
    post_ticket(&b, "RF-BACK-B-1").await;
    assert!(wait_for(&mut board_a, "nuevo_ticket", Some("RF-BACK-B-1"), SOON).await.is_some(), "B → A again");
    eprintln!("Redis outage: A and B served their own boards, B caught up {caught:?}, live again at try {back:?}");

    a.stop().await;
    b.stop().await;
}
