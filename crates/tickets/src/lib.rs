//! Belgrano Tickets: the dispatch desk.
//!
//! One order's way through this crate:
//! `http::intake` (auth, parse into [`belgrano_shared::ticket::NuevoTicket`])
//! → [`intake`] (batched writer: idempotency, [`assign`]ment, insert, one
//! transaction per batch) → [`store`] (SQLite or PostgreSQL) → [`events`]
//! (Socket.IO `nuevo_ticket` to authenticated clients).

pub mod assign;
pub mod auth;
pub mod charts;
pub mod config;
pub mod csrf;
pub mod error;
pub mod events;
pub mod http;
pub mod intake;
pub mod lifecycle;
pub mod notify;
pub mod reports;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod users;

pub use config::Settings;
pub use startup::Application;
