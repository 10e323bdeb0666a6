//! Belgrano Tickets: the dispatch desk.
//!
//! One order's way through this crate: [`http`] (`intake.rs`: auth, parse
//! into [`belgrano_contract::ticket::NuevoTicket`]) → [`intake`] (the
//! batched writer: idempotency, assignment, insert, one transaction per
//! batch, decided by [`domain::intake`]) → [`store`] (SQLite or PostgreSQL)
//! → [`live`] (Socket.IO `nuevo_ticket` to authenticated clients). Changes
//! go through [`lifecycle`] (rules in [`domain::change`]) and come back to
//! Ahorro through the notify outbox ([`notify`]).
//!
//! Imports run one way: `http` → services (`intake`, `lifecycle`, `live`,
//! `accounts`, `notify`, `bootstrap`) → `store` / `domain` → the contract
//! and the platform.

pub mod accounts;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod http;
pub mod intake;
pub mod lifecycle;
pub mod live;
pub mod notify;
pub mod startup;
pub mod store;

pub use config::Settings;
pub use startup::Application;
