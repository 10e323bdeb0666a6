//! The load generator: exactly `connections` keep-alive connections, each
//! sending its next request as soon as the previous answer is read (a
//! closed loop, like wrk). The first `warmup` is not measured; then for
//! `duration` every completed request's latency is recorded.
//!
//! What each request is, and what counts as a correct answer, comes from a
//! [`Workload`], so scenarios only describe their requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Request, StatusCode};

use crate::client::{Body, Connection};

#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

/// Produces the requests of one scenario and judges the answers.
pub trait Workload: Send + Sync + 'static {
    /// The `seq`-th request of connection `conn` (both from 0), so a
    /// workload can make every request unique without shared state.
    fn request(&self, addr: SocketAddr, conn: usize, seq: u64) -> Request<Body>;

    /// `Ok` when the answer is what the scenario expects; the error text is
    /// the key errors are counted under. Default: any 2xx.
    fn check(&self, status: StatusCode, _body: &Bytes) -> Result<(), String> {
        if status.is_success() { Ok(()) } else { Err(format!("HTTP {}", status.as_u16())) }
    }
}

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Length of the measured window.
    pub measured: Duration,
    /// Latencies of the correct answers completed in the window, sorted (µs).
    pub latencies_us: Vec<u32>,
    /// Failures completed in the window, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Correct answers over the whole run, warm-up included (to compare
    /// with what the server stored).
    pub ok_total: u64,
    /// Failures over the whole run.
    pub errors_total: u64,
    /// Correct answers per second of the window, to see drift.
    pub per_second: Vec<u64>,
}

impl LoadResult {
    pub fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Correct answers per second in the measured window.
    pub fn throughput(&self) -> f64 {
        self.ok() as f64 / self.measured.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }

    fn merge(&mut self, other: ConnectionStats) {
        self.latencies_us.extend(other.latencies_us);
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.ok_total += other.ok_total;
        self.errors_total += other.errors_total;
        if self.per_second.len() < other.per_second.len() {
            self.per_second.resize(other.per_second.len(), 0);
        }
        for (total, n) in self.per_second.iter_mut().zip(other.per_second) {
            *total += n;
        }
    }
}

/// Nearest-rank percentile of sorted latencies in µs, in milliseconds
/// (NaN when there are none).
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

#[derive(Default)]
struct ConnectionStats {
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    ok_total: u64,
    errors_total: u64,
    per_second: Vec<u64>,
}

/// Longest a request may take after the end before it counts as hung.
const GRACE: Duration = Duration::from_secs(10);

/// Runs the load and returns what it measured. With several addresses
/// (instances of one service), connection `i` goes to `addrs[i % len]`.
pub async fn run<W: Workload>(addrs: &[SocketAddr], config: LoadConfig, workload: Arc<W>) -> LoadResult {
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let end = measure_from + config.duration;
    let tasks: Vec<_> = (0..config.connections)
        .map(|conn| {
            let workload = workload.clone();
            let addr = addrs[conn % addrs.len()];
            tokio::spawn(drive_connection(addr, conn, workload, measure_from, end))
        })
        .collect();
    let mut result = LoadResult { measured: config.duration, ..Default::default() };
    for task in tasks {
        result.merge(task.await.expect("load task panicked"));
    }
    result.latencies_us.sort_unstable();
    result
}

async fn drive_connection<W: Workload>(
    addr: SocketAddr,
    conn: usize,
    workload: Arc<W>,
    measure_from: Instant,
    end: Instant,
) -> ConnectionStats {
    let mut stats = ConnectionStats::default();
    let mut connection: Option<Connection> = None;
    let mut seq = 0_u64;
    let deadline = tokio::time::Instant::from_std(end + GRACE);
    while Instant::now() < end {
        let outcome = async {
            if connection.is_none() {
                connection = Some(Connection::open(addr).await.map_err(|e| e.to_string())?);
            }
            let request = workload.request(addr, conn, seq);
            let sent = Instant::now();
            let (status, body) = connection.as_mut().expect("just opened").send(request).await.map_err(|e| {
                // The connection is unusable after a transport error.
                connection = None;
                e.to_string()
            })?;
            let done = Instant::now();
            workload.check(status, &body).map(|()| (sent, done))
        };
        let outcome = match tokio::time::timeout_at(deadline, outcome).await {
            Ok(outcome) => outcome,
            Err(_) => {
                // A half-read answer leaves the connection unusable.
                connection = None;
                Err("timed out".to_owned())
            }
        };
        seq += 1;
        let now = Instant::now();
        let in_window = now >= measure_from && now < end;
        match outcome {
            Ok((sent, done)) => {
                stats.ok_total += 1;
                if in_window {
                    stats.latencies_us.push((done - sent).as_micros().min(u32::MAX as u128) as u32);
                    let second = (done - measure_from).as_secs() as usize;
                    if stats.per_second.len() <= second {
                        stats.per_second.resize(second + 1, 0);
                    }
                    stats.per_second[second] += 1;
                }
            }
            Err(kind) => {
                stats.errors_total += 1;
                if in_window {
                    let kind: String = kind.chars().take(100).collect();
                    *stats.errors.entry(kind).or_default() += 1;
                }
                if connection.is_none() {
                    // Do not spin on a refused connection.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    stats
}
