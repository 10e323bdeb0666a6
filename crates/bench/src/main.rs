//! `cargo run --release -p belgrano-bench -- all` (or `tickets`,
//! `checkout`): builds the release binaries, measures each target and
//! prints a Markdown table.
//! See `docs/BENCHMARKS.md`.

use std::time::Duration;

use anyhow::{Context, bail};
use belgrano_bench::load::LoadConfig;
use belgrano_bench::scenarios::{self, Plan, prefill};
use belgrano_bench::{build, report};

const USAGE: &str = "\
usage: belgrano-bench all|tickets|checkout|orders|fanout|postgres [options]

  all                   tickets, checkout, orders, fanout (and postgres with
                        --postgres), in one table
  tickets               Tickets intake (POST /api/tickets, new numeros) and
                        the baseline (axum + one SQLite INSERT per request)
  checkout              Ahorro's POST /api/checkout as guests, every order
                        delivered to a real Tickets (with both services' CPU
                        per order); then Ahorro's home page and product pages
  orders                CPU per order end to end: 10,000 orders (checkout,
                        intake, three desk changes, status back, e-mails
                        through a real SMTP server), both services' CPU
  fanout                the live board: --boards Socket.IO boards connected
                        to Tickets, new tickets at 200/s, from each intake
                        answer to the last board's nuevo_ticket
  postgres              on PostgreSQL (needs --postgres): the baseline (one
                        INSERT per request), intake, two Tickets instances
                        with Redis, and the checkout

options:
  --connections N       concurrent keep-alive connections (default 32)
  --duration SECS       measured time per target (default 10)
  --warmup SECS         unmeasured time before it (default 3)
  --rounds N            measure each target N times, interleaved; the table
                        shows each target's median run (default 1)
  --client-threads N    load generator threads (default 1, leaving the
                        rest of a small machine to the server)
  --no-info             tickets: skip the extra run with default info logging
  --prefilled           also measure intake and checkout on databases that
                        already hold 1,000,000 tickets and 200,000 orders
                        (10,000 and 2,000 with --smoke)
  --smoke               a few seconds in all, to prove the benchmark runs
                        (4 connections, 0.5 s warm-up, 1.5 s measured, one
                        round, no info-logging run, 20 boards, 200 orders); no figure
                        means anything
  --postgres URL        a PostgreSQL server (postgres://user@host:port/db) for
                        the postgres scenarios; each run gets a fresh database
                        beside db, dropped afterwards
  --boards N            live boards for fanout (default 1000, 20 with --smoke)
  --orders N            orders for orders (default 10000, 200 with --smoke)
  --bin-dir DIR         run the binaries in DIR (implies --no-build), e.g.
                        target/debug for --smoke in CI
  --no-build            do not run `cargo build --release` first
";

/// Which benchmark the command line asked for.
#[derive(Clone, Copy)]
enum Scenario {
    All,
    Tickets,
    Checkout,
    Orders,
    Fanout,
    Postgres,
}

impl Scenario {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "all" => Some(Scenario::All),
            "tickets" => Some(Scenario::Tickets),
            "checkout" => Some(Scenario::Checkout),
            "orders" => Some(Scenario::Orders),
            "fanout" => Some(Scenario::Fanout),
            "postgres" => Some(Scenario::Postgres),
            _ => None,
        }
    }

    /// The packages whose release binaries it runs.
    fn packages(self) -> &'static [&'static str] {
        match self {
            Scenario::All => &["belgrano-tickets", "belgrano-ahorro", "belgrano-bench"],
            Scenario::Tickets => &["belgrano-tickets", "belgrano-bench"],
            Scenario::Checkout | Scenario::Orders | Scenario::Postgres => {
                &["belgrano-tickets", "belgrano-ahorro", "belgrano-bench"]
            }
            Scenario::Fanout => &["belgrano-tickets"],
        }
    }
}

struct Options {
    scenario: Option<Scenario>,
    config: LoadConfig,
    rounds: usize,
    client_threads: usize,
    info_logging: bool,
    prefilled: bool,
    smoke: bool,
    bin_dir: Option<std::path::PathBuf>,
    build: bool,
    postgres: Option<String>,
    boards: Option<usize>,
    orders: Option<u64>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut options = Options {
        scenario: None,
        config: LoadConfig { connections: 32, duration: Duration::from_secs(10), warmup: Duration::from_secs(3) },
        rounds: 1,
        client_threads: 1,
        info_logging: true,
        prefilled: false,
        smoke: false,
        bin_dir: None,
        build: true,
        postgres: None,
        boards: None,
        orders: None,
    };
    while let Some(arg) = args.next() {
        let mut value =
            |name: &str| -> anyhow::Result<String> { args.next().with_context(|| format!("{name} needs a value")) };
        match arg.as_str() {
            "--connections" => options.config.connections = value(&arg)?.parse()?,
            "--duration" => options.config.duration = Duration::from_secs_f64(value(&arg)?.parse()?),
            "--warmup" => options.config.warmup = Duration::from_secs_f64(value(&arg)?.parse()?),
            "--rounds" => options.rounds = value(&arg)?.parse()?,
            "--client-threads" => options.client_threads = value(&arg)?.parse()?,
            "--no-info" => options.info_logging = false,
            "--no-build" => options.build = false,
            "--prefilled" => options.prefilled = true,
            "--postgres" => options.postgres = Some(value(&arg)?),
            "--boards" => options.boards = Some(value(&arg)?.parse()?),
            "--orders" => options.orders = Some(value(&arg)?.parse()?),
            "--bin-dir" => {
                options.bin_dir = Some(value(&arg)?.into());
                options.build = false;
            }
            "--smoke" => {
                options.config = LoadConfig {
                    connections: 4,
                    duration: Duration::from_millis(1500),
                    warmup: Duration::from_millis(500),
                };
                options.rounds = 1;
                options.info_logging = false;
                options.smoke = true;
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other if !other.starts_with('-') && options.scenario.is_none() => {
                options.scenario =
                    Some(Scenario::parse(other).with_context(|| format!("unknown benchmark {other:?}\n\n{USAGE}"))?);
            }
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    if options.scenario.is_none() {
        bail!("which benchmark?\n\n{USAGE}");
    }
    if options.config.connections == 0
        || options.rounds == 0
        || options.client_threads == 0
        || options.boards == Some(0)
        || options.orders == Some(0)
    {
        bail!("--connections, --rounds, --client-threads, --boards and --orders must be at least 1");
    }
    if matches!(options.scenario, Some(Scenario::Postgres)) && options.postgres.is_none() {
        bail!("postgres needs --postgres URL\n\n{USAGE}");
    }
    Ok(options)
}

fn main() -> anyhow::Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let scenario = options.scenario.expect("checked in parse_args");
    let bin_dir = match options.bin_dir {
        // Absolute: each server starts in its own temporary directory.
        Some(dir) => std::fs::canonicalize(&dir).with_context(|| format!("--bin-dir {}", dir.display()))?,
        None if options.build => build::release_binaries(scenario.packages())?,
        None => build::release_dir(),
    };
    let plan = Plan {
        config: options.config,
        rounds: options.rounds,
        bin_dir,
        info_logging: options.info_logging,
        prefill: options.prefilled.then_some(if options.smoke { prefill::SMOKE } else { prefill::FULL }),
        postgres: options.postgres,
        boards: options.boards.unwrap_or(if options.smoke { 20 } else { 1000 }),
        orders: options.orders.unwrap_or(if options.smoke {
            scenarios::orders::SMOKE_ORDERS
        } else {
            scenarios::orders::ORDERS
        }),
    };

    // The load generator's own runtime, kept small on purpose: on a 2-core
    // machine every thread it uses is taken from the server.
    let runtime = if options.client_threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(options.client_threads).enable_all().build()?
    };
    let client_cpu_before = belgrano_bench::server::process_cpu_time("/proc/self/stat")?;
    let wall = std::time::Instant::now();
    let mut reports = Vec::new();
    if matches!(scenario, Scenario::All | Scenario::Tickets) {
        reports.push((runtime.block_on(scenarios::tickets::run(&plan))?, scenarios::tickets::REFERENCE));
    }
    if matches!(scenario, Scenario::All | Scenario::Checkout) {
        reports.push((runtime.block_on(scenarios::checkout::run(&plan))?, scenarios::checkout::REFERENCE));
    }
    if matches!(scenario, Scenario::All | Scenario::Orders) {
        reports.push((runtime.block_on(scenarios::orders::run(&plan))?, scenarios::orders::REFERENCE));
    }
    if matches!(scenario, Scenario::All | Scenario::Fanout) {
        reports.push((runtime.block_on(scenarios::fanout::run(&plan))?, scenarios::fanout::REFERENCE));
    }
    if let (Scenario::All | Scenario::Postgres, Some(url)) = (scenario, &plan.postgres) {
        reports.push((runtime.block_on(scenarios::postgres::run(&plan, url))?, scenarios::postgres::REFERENCE));
    }
    let client_cpu = belgrano_bench::server::process_cpu_time("/proc/self/stat")?.saturating_sub(client_cpu_before);

    let c = plan.config;
    println!();
    println!("Machine: {}", report::machine());
    println!("Code: {}", report::code_version(&build::workspace_root()));
    println!(
        "Load: {} connections, {:.0} s warm-up + {:.0} s measured per target, {} round(s), median run shown; \
         load generator {} thread(s), {:.0}% of one core on average",
        c.connections,
        c.warmup.as_secs_f64(),
        c.duration.as_secs_f64(),
        plan.rounds,
        options.client_threads,
        100.0 * client_cpu.as_secs_f64() / wall.elapsed().as_secs_f64(),
    );
    println!("Load average (1 min) after the runs: {:.2}", report::load_average());
    println!();
    let rows: Vec<report::Row> = reports.iter().flat_map(|(r, _)| r.rows.iter().cloned()).collect();
    print!("{}", report::markdown_table(&rows));
    for (report, reference) in &reports {
        println!();
        for note in &report.notes {
            println!("- {note}");
        }
        println!("{reference}");
    }
    // Speed has no threshold here, correctness does: a failed request or a
    // lost ticket fails the command (and the smoke run in CI).
    let failed: Vec<&str> = rows.iter().filter(|r| r.errors > 0).map(|r| r.target.as_str()).collect();
    if !failed.is_empty() {
        bail!("errors or failed verification in: {}", failed.join(", "));
    }
    Ok(())
}
