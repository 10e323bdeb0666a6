//! What the benchmark prints: the machine, and one Markdown table row per
//! measured target.

use std::fmt::Write;

/// One row of the results table.
#[derive(Debug, Clone)]
pub struct Row {
    pub target: String,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub peak_rss_mb: f64,
    /// Server CPU time divided by requests answered (shows where a 2-core
    /// machine's time goes when throughput alone would hide it).
    pub server_cpu_us_per_request: f64,
    /// Cores other processes kept busy during the run (see `Measurement`).
    pub others_cores: f64,
}

pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| target | requests/s | p50 ms | p99 ms | errors | peak RSS MB | server CPU µs/req | others' CPU (cores) |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {:.0} | {:.2} |",
            r.target,
            r.requests_per_second,
            r.p50_ms,
            r.p99_ms,
            r.errors,
            r.peak_rss_mb,
            r.server_cpu_us_per_request,
            r.others_cores
        );
    }
    out
}

/// The machine, for the record: cores and CPU model.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {model}")
}

/// The 1-minute load average: other work on the machine skews results.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// `git describe` of the workspace, so a table names the code it measured.
pub fn code_version(workspace: &std::path::Path) -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(workspace)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}
