//! Belgrano Ahorro: the shop.
//!
//! One order's way through this crate: `http::checkout` (parse the form or
//! JSON into a validated [`checkout::Checkout`]) → [`checkout`] (one
//! transaction: stock, order, lines and an outbox row, in [`store`]) →
//! [`outbox`] (the delivery worker posts the seed's ticket to Tickets with
//! [`tickets_client`], retrying until it is accepted) → the order learns its
//! ticket. Pages: [`catalog`], [`cart`], [`accounts`], sessions in
//! [`session`]; the customer's tracking link and live status in [`tracking`].

pub mod accounts;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod error;
pub mod http;
pub mod outbox;
pub mod session;
pub mod startup;
pub mod store;
pub mod tickets_client;
pub mod tracking;

pub use config::Settings;
pub use startup::Application;

/// Logging: readable lines in development, JSON lines in production.
/// `RUST_LOG` overrides the default level.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
