//! Scenarios: which servers to start and what load to send them. Each
//! scenario is one module with a `run` that returns table rows; the
//! measuring itself is shared ([`crate::measure`]).

pub mod checkout;
pub mod fanout;
pub mod orders;
pub mod postgres;
pub mod prefill;
pub mod tickets;

use std::path::PathBuf;

use crate::load::LoadConfig;
use crate::measure::Measurement;
use crate::report::Row;
use crate::server::Database;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: LoadConfig,
    /// Each target is measured this many times (interleaved); the table
    /// shows each target's median run by throughput.
    pub rounds: usize,
    /// Where the release binaries are.
    pub bin_dir: PathBuf,
    /// Also measure Tickets with its default (info) logging.
    pub info_logging: bool,
    /// Also measure intake and checkout on databases that already hold a
    /// shop's history ([`prefill`]).
    pub prefill: Option<prefill::Sizes>,
    /// A PostgreSQL server (`postgres://…/database`) to run the PostgreSQL
    /// scenarios on, in fresh databases beside that one.
    pub postgres: Option<String>,
    /// Socket.IO clients for the live board's fan-out.
    pub boards: usize,
    /// Orders in the end-to-end run.
    pub orders: u64,
}

/// Where a scenario's servers keep their data: each in a SQLite file of
/// its own, or all in one PostgreSQL database (each service in its own
/// schema, as on Render's free plan).
#[derive(Debug, Clone)]
pub enum Storage {
    Sqlite,
    Postgres { url: String },
}

impl Storage {
    /// The database of a server whose SQLite file would be `file`.
    pub fn database(&self, file: &str) -> Database {
        match self {
            Storage::Sqlite => Database::SqliteFile(file.to_owned()),
            Storage::Postgres { url } => Database::Url(url.clone()),
        }
    }
}

/// What a scenario prints: table rows and lines under the table.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// Prints what a table row cannot hold: drift, errors, verification, files.
pub fn describe(target: &str, m: &Measurement) {
    let r = &m.load;
    eprintln!(
        "  {target}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} ok in window, {} ok / {} errors in whole run; load average before {:.2}, others used {:.2} cores",
        r.throughput(),
        r.percentile_ms(50.0),
        r.percentile_ms(99.0),
        r.percentile_ms(100.0),
        r.ok(),
        r.ok_total,
        r.errors_total,
        m.load_before,
        m.others_cores,
    );
    let per_second: Vec<String> = r.per_second.iter().map(u64::to_string).collect();
    eprintln!("    per second: {}", per_second.join(" "));
    for (kind, n) in &r.errors {
        eprintln!("    error (in window) x{n}: {kind}");
    }
    match &m.verification {
        Ok(what) => eprintln!("    verified: {what}"),
        Err(what) => eprintln!("    VERIFICATION FAILED: {what}"),
    }
    let files: Vec<String> =
        m.files.iter().map(|(name, size)| format!("{name} {:.1} MB", *size as f64 / 1e6)).collect();
    eprintln!("    files when the load ended: {}", files.join(", "));
    if r.errors_total > 0 || m.verification.is_err() {
        eprintln!("    server log tail:\n{}", m.log_tail);
    }
}

/// The run with the median throughput (the lower middle for even counts).
pub fn median_run(runs: &[Measurement]) -> &Measurement {
    let mut order: Vec<&Measurement> = runs.iter().collect();
    order.sort_by(|a, b| a.load.throughput().total_cmp(&b.load.throughput()));
    order[(order.len() - 1) / 2]
}

/// Rows for targets measured `rounds` times: the median run of each.
pub fn median_rows(targets: &[(&str, Vec<Measurement>)]) -> Vec<Row> {
    targets.iter().filter(|(_, runs)| !runs.is_empty()).map(|(name, runs)| median_run(runs).row(name)).collect()
}
