//! The platform both services run on: the mechanisms each needs once, so
//! that Ahorro and Tickets do them the same way.
//!
//! - [`db`]: SQLite or PostgreSQL behind one small API (connect, read /
//!   write / exclusive, one statement for both backends, the portable
//!   timestamp, the storage error).
//! - [`outbox`]: the transactional outbox and its one delivery worker.
//! - [`session`], [`csrf`], [`throttle`], [`password`]: logins, the same
//!   design in both services.
//! - [`mail`]: e-mail through a `correos` outbox (SMTP, or the dev
//!   mailbox); [`reset`]: single-use password reset links.
//! - [`http`]: the router's outer layers and the shared extractors.
//! - [`api_key`], [`retry`], [`signing`]: the shared key between the
//!   services, the delivery retry policy, signed links.
//! - [`clock`]: the time schedules act on (the system's, or a test's).
//! - [`config`]: reading settings from the environment; [`assets`]: the
//!   embedded static files; [`charts`]: inline SVG bar charts.
//! - [`telemetry`], [`runtime`]: logs and metrics; the environment and the
//!   stop signal.
//!
//! What the two services send each other is not here: that is
//! `belgrano-contract`, which this crate builds on.

pub mod api_key;
pub mod assets;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod csrf;
pub mod db;
pub mod http;
pub mod mail;
pub mod outbox;
pub mod password;
pub mod reset;
pub mod retry;
pub mod runtime;
pub mod session;
pub mod signing;
pub mod telemetry;
pub mod throttle;
