//! The live board's fan-out: `--boards` (default 1,000) dispatchers' boards
//! connected to one Tickets over Socket.IO (Engine.IO v4 over WebSocket,
//! each on a real dispatcher's session cookie, as a browser's board is),
//! while new tickets arrive at a steady [`RATE`]. For each ticket: from the
//! moment its `POST /api/tickets` was answered to the moment the *last*
//! board received its `nuevo_ticket`. Every board must receive every
//! ticket: one missing delivery fails the run.
//!
//! The boards are read by the benchmark's own small client (below), not by
//! `belgrano_testkit::socket_client`, which parses every packet fully: with
//! 1,000 boards the client would use more CPU than the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::{Method, header};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::tickets::{API_KEY, NewTickets, tickets_spec};
use super::{Plan, Report, Storage};
use crate::client::{self, Connection};
use crate::load::{Workload, percentile_ms};
use crate::measure::CpuWindow;
use crate::report::{self, Row};
use crate::server::Server;

pub const TARGET: &str = "Live board fan-out (ms: intake's answer → last board's nuevo_ticket)";

pub const REFERENCE: &str = "Goals (issue 17): 1,000 connected boards, new tickets at 200/s: from the intake's answer \
    to the last board's receipt of nuevo_ticket, p99 under 50 ms; RSS with 1,000 boards connected. \
    (requests/s in that row is tickets/s sent; CPU per request is per ticket, fan-out included.)";

/// New tickets per second, sent at a steady pace (not as fast as possible).
pub const RATE: u32 = 200;
/// Boards per dispatcher session: a dispatcher with many tabs open.
const BOARDS_PER_SESSION: usize = 50;
/// Boards connecting at once.
const CONNECT_AT_ONCE: usize = 50;
/// How long the last deliveries may take after the last ticket.
const DRAIN: Duration = Duration::from_secs(3);
const DEMO_DISPATCHER: (&str, &str) = ("admin@belgrano.local", "demo1234");

/// What one board heard: the sequence number of each ticket (from its
/// `numero`) and when it arrived.
type Heard = Vec<(u64, Instant)>;

/// Logs in through the form, as a browser does; returns the session cookie.
async fn login(addr: SocketAddr) -> anyhow::Result<String> {
    let mut conn = Connection::open(addr).await?;
    let page = client::request(Method::GET, addr, "/login").body(Default::default())?;
    let (_, headers, _) = conn.exchange(page).await?;
    let csrf = cookie(&headers, "belgrano_csrf").ok_or_else(|| anyhow::anyhow!("no CSRF cookie on /login"))?;
    let (email, password) = DEMO_DISPATCHER;
    let form = format!("csrf={csrf}&email={}&password={password}", email.replace('@', "%40"));
    let post = client::request(Method::POST, addr, "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("belgrano_csrf={csrf}"))
        .body(Full::new(Bytes::from(form)))?;
    let (status, headers, _) = conn.exchange(post).await?;
    let session = cookie(&headers, "belgrano_sesion")
        .ok_or_else(|| anyhow::anyhow!("login answered {status} without a session"))?;
    Ok(format!("belgrano_sesion={session}"))
}

fn cookie(headers: &hyper::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let first = c.split(';').next()?;
        let (n, v) = first.split_once('=')?;
        (n == name && !v.is_empty()).then(|| v.to_owned())
    })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a board: the WebSocket, Engine.IO's open, Socket.IO's CONNECT on
/// the session, and the welcome that says it is in the dispatchers' room.
async fn open_board(addr: SocketAddr, cookie: &str) -> anyhow::Result<Ws> {
    let mut request = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket").into_client_request()?;
    request.headers_mut().insert(header::COOKIE, cookie.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let mut connected = false;
    while let Some(message) = ws.next().await {
        let Message::Text(text) = message? else { continue };
        match text.as_str() {
            t if t.starts_with('0') => ws.send(Message::text("40")).await?,
            t if t.starts_with("40") => connected = true,
            t if t.starts_with("44") => anyhow::bail!("the board was refused: {t}"),
            "2" => ws.send(Message::text("3")).await?,
            t if connected && t.starts_with("42[\"bienvenida\"") => return Ok(ws),
            _ => {}
        }
    }
    anyhow::bail!("the server closed the board before its welcome")
}

/// The sequence number in a `nuevo_ticket` packet's `numero`, found
/// without parsing the whole packet.
fn heard_seq(packet: &str, prefix: &str) -> Option<u64> {
    if !packet.starts_with("42[\"nuevo_ticket\"") {
        return None;
    }
    let marker = format!("\"numero\":\"{prefix}");
    let start = packet.find(&marker)? + marker.len();
    let digits: &str = &packet[start..];
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// Reads a board until `stop`, answering pings.
async fn listen(mut ws: Ws, prefix: String, stop: tokio::sync::watch::Receiver<bool>) -> Heard {
    let mut heard = Heard::new();
    let mut stop = stop;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let at = Instant::now();
                    if text.as_str() == "2" {
                        let _ = ws.send(Message::text("3")).await;
                    } else if let Some(seq) = heard_seq(text.as_str(), &prefix) {
                        heard.push((seq, at));
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
    let _ = ws.close(None).await;
    heard
}

/// One ticket sent: its sequence number and when its 200 arrived.
struct Sent {
    seq: u64,
    answered: Instant,
    measured: bool,
}

/// Sends tickets `0, 1, 2, …` at [`RATE`] per second over a few keep-alive
/// connections until `end`; tickets answered after `measure_from` count.
async fn send_tickets(
    addr: SocketAddr,
    workload: Arc<NewTickets>,
    measure_from: Instant,
    end: Instant,
) -> (Vec<Sent>, u64) {
    const SENDERS: u64 = 8;
    let tasks: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let workload = workload.clone();
            tokio::spawn(async move {
                let mut sent = Vec::new();
                let mut failed = 0;
                let Ok(mut conn) = Connection::open(addr).await else { return (sent, 1) };
                let every = Duration::from_secs_f64(SENDERS as f64 / f64::from(RATE));
                // Senders start spread over one period, for an even pace.
                let first = tokio::time::Instant::now() + every.mul_f64(sender as f64 / SENDERS as f64);
                let mut ticks = tokio::time::interval_at(first, every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                for i in 0.. {
                    ticks.tick().await;
                    if Instant::now() >= end {
                        break;
                    }
                    let seq = i * SENDERS + sender;
                    let answer = conn.send(workload.request(addr, 0, seq)).await;
                    let answered = Instant::now();
                    match answer {
                        Ok((status, body)) if workload.check(status, &body).is_ok() => {
                            sent.push(Sent { seq, answered, measured: answered >= measure_from });
                        }
                        _ => failed += 1,
                    }
                }
                (sent, failed)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (sent, f) = task.await.unwrap_or_default();
        all.extend(sent);
        failed += f;
    }
    (all, failed)
}

/// Boards connected, tickets sent at [`RATE`], every delivery accounted for.
pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let boards = plan.boards;
    eprintln!("live board fan-out: {boards} boards, {RATE} new tickets/s");
    let load_before = report::load_average();
    let mut server = Server::start(&tickets_spec(plan, Some("warn"), &Storage::Sqlite)).await?;
    let addr = server.addr;

    let mut cookies = Vec::new();
    for _ in 0..boards.div_ceil(BOARDS_PER_SESSION) {
        cookies.push(login(addr).await?);
    }
    let connecting = Instant::now();
    let mut sockets = Vec::with_capacity(boards);
    for start in (0..boards).step_by(CONNECT_AT_ONCE) {
        let batch: Vec<_> = (start..(start + CONNECT_AT_ONCE).min(boards))
            .map(|i| {
                let cookie = cookies[i / BOARDS_PER_SESSION].clone();
                tokio::spawn(async move { open_board(addr, &cookie).await })
            })
            .collect();
        for task in batch {
            sockets.push(task.await??);
        }
    }
    let connect_seconds = connecting.elapsed().as_secs_f64();
    let rss_connected = server.peak_rss_bytes()?;

    let workload = Arc::new(NewTickets::new(Some(API_KEY)));
    let prefix = workload.numero_prefix(0);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listeners: Vec<_> =
        sockets.into_iter().map(|ws| tokio::spawn(listen(ws, prefix.clone(), stopped.clone()))).collect();

    let cpu_before = server.cpu_time()?;
    let window = CpuWindow::start()?;
    let measure_from = Instant::now() + plan.config.warmup;
    let end = measure_from + plan.config.duration;
    let (sent, failed) = send_tickets(addr, workload, measure_from, end).await;
    tokio::time::sleep(DRAIN).await;
    let server_cpu = server.cpu_time()?.saturating_sub(cpu_before);
    let spent = window.end(server_cpu)?;
    let _ = stop.send(true);
    let mut heard: Vec<Heard> = Vec::with_capacity(boards);
    for listener in listeners {
        heard.push(listener.await?);
    }
    let peak_rss = server.peak_rss_bytes()?;
    server.stop().await?;

    // For each ticket, the last board's receipt.
    let max_seq = sent.iter().map(|s| s.seq).max().unwrap_or(0) as usize;
    let mut last: Vec<Option<Instant>> = vec![None; max_seq + 1];
    let mut received: Vec<u32> = vec![0; max_seq + 1];
    for board in &heard {
        for &(seq, at) in board {
            if let Some(slot) = last.get_mut(seq as usize) {
                *slot = Some(slot.map_or(at, |t: Instant| t.max(at)));
                received[seq as usize] += 1;
            }
        }
    }
    let mut latencies_us: Vec<u32> = Vec::new();
    let mut missing = 0_u64;
    let mut before_answer = 0_u64;
    for s in &sent {
        let got = received[s.seq as usize] as u64;
        missing += (boards as u64).saturating_sub(got);
        if !s.measured {
            continue;
        }
        if let Some(at) = last[s.seq as usize].filter(|_| got == boards as u64) {
            // The event can reach every board before the answer reaches the
            // sender (both leave the server at about the same time).
            if at < s.answered {
                before_answer += 1;
            }
            latencies_us.push(at.saturating_duration_since(s.answered).as_micros().min(u32::MAX as u128) as u32);
        }
    }
    latencies_us.sort_unstable();
    let measured = latencies_us.len();
    let percentile = |p: f64| percentile_ms(&latencies_us, p);
    eprintln!(
        "  {TARGET}: {boards} boards connected in {connect_seconds:.1} s ({:.1} MB RSS then); {} tickets sent \
         ({failed} failed), {measured} measured; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {before_answer} reached every \
         board before their answer reached the sender; {missing} deliveries missing",
        rss_connected as f64 / 1e6,
        sent.len(),
        percentile(50.0),
        percentile(99.0),
        percentile(100.0),
    );
    if missing > 0 || failed > 0 {
        eprintln!("    server log tail:\n{}", server.log_tail(10));
    }
    let row = Row {
        target: TARGET.to_owned(),
        requests_per_second: measured as f64 / plan.config.duration.as_secs_f64(),
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
        errors: missing + failed,
        peak_rss_mb: peak_rss as f64 / (1024.0 * 1024.0),
        server_cpu_us_per_request: server_cpu.as_secs_f64() * 1e6 / sent.len().max(1) as f64,
        others_cores: spent.others_cores,
    };
    let notes = vec![
        format!(
            "Fan-out: {boards} boards on {} dispatcher sessions, connected in {connect_seconds:.1} s; Tickets' RSS \
             with them connected {:.1} MB, peak {:.1} MB; every board received all {} tickets ({missing} missing); \
             load average before {load_before:.2}; the benchmark's boards used {:.0}% of one core.",
            cookies.len(),
            rss_connected as f64 / (1024.0 * 1024.0),
            peak_rss as f64 / (1024.0 * 1024.0),
            sent.len(),
            100.0 * spent.own.as_secs_f64() / spent.wall.as_secs_f64(),
        ),
        format!("Fan-out p99 {:.2} ms (goal < 50 ms).", percentile(99.0)),
    ];
    Ok(Report { rows: vec![row], notes })
}

#[cfg(test)]
mod tests {
    use super::heard_seq;

    #[test]
    fn the_sequence_number_comes_from_the_numero_of_a_new_ticket_only() {
        let packet = r#"42["nuevo_ticket",{"ticket_id":7,"numero":"BENCH-1a-0-123","cliente_nombre":"x"}]"#;
        assert_eq!(heard_seq(packet, "BENCH-1a-0-"), Some(123));
        assert_eq!(heard_seq(packet, "BENCH-2b-0-"), None);
        let other = r#"42["ticket_actualizado",{"numero":"BENCH-1a-0-123"}]"#;
        assert_eq!(heard_seq(other, "BENCH-1a-0-"), None);
    }
}
