//! A server under test: a child process on a free port with its own
//! temporary directory (and SQLite database), started, checked healthy,
//! measured from `/proc`, and stopped with SIGTERM.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::client;

/// How to start one server.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub program: PathBuf,
    /// Environment on top of the inherited one. `PORT` is set by [`Server::start`].
    pub env: Vec<(String, String)>,
    /// Inherited variables to drop (e.g. `RUST_LOG`, to get a default).
    pub env_remove: Vec<String>,
    /// What `DATABASE_URL` says.
    pub database: Database,
    /// Answers 200 once the server is ready.
    pub health_path: String,
    /// The port to listen on; a free one when `None`. Set it when another
    /// server must know this one's address before it starts.
    pub port: Option<u16>,
}

/// Where a server keeps its data.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file of this name in the server's fresh directory.
    SqliteFile(String),
    /// A database URL as is (PostgreSQL).
    Url(String),
}

pub struct Server {
    child: Child,
    pid: u32,
    pub addr: SocketAddr,
    dir: TempDir,
}

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

impl Server {
    pub async fn start(spec: &ServerSpec) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("belgrano-bench-").tempdir()?;
        let port = match spec.port {
            Some(port) => port,
            None => free_port()?,
        };
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut command = Command::new(&spec.program);
        command
            .current_dir(dir.path())
            .env("PORT", port.to_string())
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        for name in &spec.env_remove {
            command.env_remove(name);
        }
        let url = match &spec.database {
            Database::SqliteFile(file) => format!("sqlite://{}", dir.path().join(file).display()),
            Database::Url(url) => url.clone(),
        };
        command.env("DATABASE_URL", url);
        let child = command.spawn().with_context(|| format!("starting {}", spec.program.display()))?;
        let pid = child.id().context("child has no pid")?;
        let mut server = Server { child, pid, addr: SocketAddr::from(([127, 0, 0, 1], port)), dir };
        server.wait_healthy(&spec.health_path).await?;
        Ok(server)
    }

    async fn wait_healthy(&mut self, path: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("server exited during startup ({status}); log:\n{}", self.log_tail(40));
            }
            if let Ok((status, _)) = client::get(self.addr, path, &[]).await
                && status.is_success()
            {
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                bail!("server not healthy after {STARTUP_TIMEOUT:?}; log:\n{}", self.log_tail(40));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM")?;
        let kib: u64 = line.split_whitespace().nth(1).context("bad VmHWM")?.parse()?;
        Ok(kib * 1024)
    }

    /// User plus system CPU time the server has used so far.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        process_cpu_time(&format!("/proc/{}/stat", self.pid))
    }

    /// The last lines of the server's output.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Sizes of the files in the server's directory (database, WAL, log).
    pub fn files(&self) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), e.metadata().ok()?.len())))
            .collect();
        files.sort();
        files
    }

    /// SIGTERM (the services shut down gracefully), then SIGKILL if it
    /// lingers. The directory stays until `self` is dropped.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                eprintln!("server {} ignored SIGTERM for {STOP_TIMEOUT:?}; killing it", self.pid);
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// A port nobody listens on right now. The tiny race with other programs
/// binding it before the server does is acceptable for a benchmark.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// utime + stime of a `/proc/<pid>/stat` file.
pub fn process_cpu_time(stat_path: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(stat_path)?;
    // The command name may contain spaces; fields are counted after its ')'.
    let after_name = &stat[stat.rfind(')').context("bad stat")? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second() as f64))
}

/// CPU time all processes on the machine have used since boot (every
/// state but idle and iowait, summed over cores).
pub fn machine_busy_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let cpu = stat.lines().next().context("empty /proc/stat")?;
    let ticks: Vec<u64> = cpu.split_whitespace().skip(1).map(|v| v.parse().unwrap_or(0)).collect();
    // user nice system idle iowait irq softirq steal (guest is already in user).
    let busy: u64 = ticks.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, t)| t).sum();
    Ok(Duration::from_secs_f64(busy as f64 / clock_ticks_per_second() as f64))
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}
