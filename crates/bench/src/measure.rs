//! One measured run of one target: start the server, drive the load, read
//! its peak memory and CPU time, let the scenario verify what was stored,
//! stop the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load::{self, LoadConfig, LoadResult, Workload};
use crate::report::{self, Row};
use crate::server::{Server, ServerSpec, machine_busy_time, process_cpu_time};

#[derive(Debug)]
pub struct Measurement {
    pub load: LoadResult,
    pub peak_rss_bytes: u64,
    /// Server CPU time spent during the load (warm-up included).
    pub server_cpu: Duration,
    pub load_before: f64,
    /// CPU used by everything but the server and this benchmark during the
    /// load, in cores (0.5 = half a core busy on average). Other work on a
    /// shared machine skews results; the load average lags, this does not.
    pub others_cores: f64,
    /// Files in the server's directory when the load ended, before the
    /// server stops and checkpoints (shows a WAL that never got reset).
    pub files: Vec<(String, u64)>,
    /// What the scenario's check of the stored data found.
    pub verification: Result<String, String>,
    /// Last lines of the server's log, to explain errors.
    pub log_tail: String,
}

impl Measurement {
    pub fn row(&self, target: &str) -> Row {
        let answered = (self.load.ok_total + self.load.errors_total).max(1);
        Row {
            target: target.to_owned(),
            requests_per_second: self.load.throughput(),
            p50_ms: self.load.percentile_ms(50.0),
            p99_ms: self.load.percentile_ms(99.0),
            // Whole run, warm-up included: no failure may hide.
            errors: self.load.errors_total + u64::from(self.verification.is_err()),
            peak_rss_mb: self.peak_rss_bytes as f64 / (1024.0 * 1024.0),
            server_cpu_us_per_request: self.server_cpu.as_secs_f64() * 1e6 / answered as f64,
            others_cores: self.others_cores,
        }
    }
}

pub async fn measure<W, V>(
    spec: &ServerSpec,
    config: LoadConfig,
    workload: Arc<W>,
    verify: V,
) -> anyhow::Result<Measurement>
where
    W: Workload,
    V: AsyncFnOnce(SocketAddr, &LoadResult) -> Result<String, String>,
{
    measure_with(spec, config, workload, nothing_to_prepare, verify).await
}

/// Where the machine's CPU went over a window: the benchmark's own share,
/// and everyone else's beside the servers under test.
pub struct CpuWindow {
    started: Instant,
    own_before: Duration,
    machine_before: Duration,
}

/// What a [`CpuWindow`] saw when it ended.
pub struct CpuSpent {
    pub wall: Duration,
    /// The benchmark process (load generator, boards).
    pub own: Duration,
    /// Other processes than the servers and the benchmark, in cores.
    pub others_cores: f64,
}

impl CpuWindow {
    pub fn start() -> anyhow::Result<Self> {
        Ok(CpuWindow {
            own_before: process_cpu_time("/proc/self/stat")?,
            machine_before: machine_busy_time()?,
            started: Instant::now(),
        })
    }

    /// Ends the window; `servers` is the servers' CPU over it.
    pub fn end(&self, servers: Duration) -> anyhow::Result<CpuSpent> {
        let wall = self.started.elapsed();
        let own = process_cpu_time("/proc/self/stat")?.saturating_sub(self.own_before);
        let machine = machine_busy_time()?.saturating_sub(self.machine_before);
        let others_cores = machine.saturating_sub(servers + own).as_secs_f64() / wall.as_secs_f64();
        Ok(CpuSpent { wall, own, others_cores })
    }
}

/// No preparation between the server's start and the load.
pub async fn nothing_to_prepare(_: &Server) -> anyhow::Result<()> {
    Ok(())
}

/// [`measure`], with `prepare` run once the server is healthy and before
/// the load starts (e.g. to give a shop unlimited stock).
pub async fn measure_with<W, P, V>(
    spec: &ServerSpec,
    config: LoadConfig,
    workload: Arc<W>,
    prepare: P,
    verify: V,
) -> anyhow::Result<Measurement>
where
    W: Workload,
    P: AsyncFnOnce(&Server) -> anyhow::Result<()>,
    V: AsyncFnOnce(SocketAddr, &LoadResult) -> Result<String, String>,
{
    measure_instances(std::slice::from_ref(spec), config, workload, prepare, verify).await
}

/// [`measure_with`] for several instances of one service (on one shared
/// database): started one after the other, the load spread over them by
/// connection, `prepare` and `verify` on the first. CPU time is their sum,
/// peak RSS the largest instance's (the goal is per instance).
pub async fn measure_instances<W, P, V>(
    specs: &[ServerSpec],
    config: LoadConfig,
    workload: Arc<W>,
    prepare: P,
    verify: V,
) -> anyhow::Result<Measurement>
where
    W: Workload,
    P: AsyncFnOnce(&Server) -> anyhow::Result<()>,
    V: AsyncFnOnce(SocketAddr, &LoadResult) -> Result<String, String>,
{
    let load_before = report::load_average();
    let mut servers = Vec::with_capacity(specs.len());
    for spec in specs {
        servers.push(Server::start(spec).await?);
    }
    prepare(&servers[0]).await?;
    let cpu = |servers: &[Server]| -> anyhow::Result<Duration> {
        servers.iter().map(Server::cpu_time).sum::<anyhow::Result<Duration>>()
    };
    let cpu_before = cpu(&servers)?;
    let window = CpuWindow::start()?;
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let result = load::run(&addrs, config, workload).await;
    let server_cpu = cpu(&servers)?.saturating_sub(cpu_before);
    let others_cores = window.end(server_cpu)?.others_cores;
    let verification = verify(addrs[0], &result).await;
    // Read before stopping: /proc forgets the process once it exits.
    let mut peak_rss_bytes = 0;
    for server in &servers {
        peak_rss_bytes = peak_rss_bytes.max(server.peak_rss_bytes()?);
    }
    let files = servers[0].files();
    for server in &mut servers {
        server.stop().await?;
    }
    Ok(Measurement {
        load: result,
        peak_rss_bytes,
        server_cpu,
        load_before,
        others_cores,
        files,
        verification,
        log_tail: servers.iter().map(|s| s.log_tail(5)).collect::<Vec<_>>().join("\n"),
    })
}
