//! Load benchmarks for Belgrano.
//!
//! The driver (`src/main.rs`) builds the release binaries, starts each
//! server under test as a child process on a free port with a fresh
//! database (a SQLite file, or a PostgreSQL database of its own), drives it
//! with a fixed number of keep-alive connections, and prints a Markdown
//! table. Each scenario is one module in `scenarios/` (intake, checkout and
//! pages, orders end to end, the live board's fan-out, PostgreSQL) built
//! from these pieces:
//!
//! - [`client`]: a minimal HTTP/1.1 client connection (hyper, no pool), so
//!   the load generator spends as little of the shared CPU as possible.
//! - [`load`]: N connections sending back to back for a fixed time after a
//!   warm-up; every latency is recorded.
//! - [`server`]: spawn a child, wait until healthy, read its peak RSS and
//!   CPU time, stop it.
//! - [`measure`]: one target measured once (server + load + /proc).
//! - [`postgres`]: fresh PostgreSQL databases for the PostgreSQL runs.
//! - [`report`]: the machine description and the Markdown table.

pub mod build;
pub mod client;
pub mod load;
pub mod measure;
pub mod postgres;
pub mod report;
pub mod scenarios;
pub mod server;
