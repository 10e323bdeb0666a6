//! Belgrano Ahorro: the shop.
//!
//! Layers, each importing only those below it:
//!
//! - [`http`]: pages and the JSON API (router, handlers with their page
//!   structs, the one error type per surface);
//! - services: [`checkout`] (one transaction, then a short wait for
//!   Tickets), [`delivery`] (the outbox worker's delivery to Tickets through
//!   [`tickets_client`]), [`accounts`] (registration, login, sessions),
//!   [`tracking`] (signed tracking links, live updates), [`lookup`] (a
//!   guest finds an order again), [`datos`] (a customer's data: export,
//!   erasure), [`contacto`] (the contact form, kept and mailed, limited),
//!   [`paquetes`] (merchants' standing orders and their scheduler);
//! - [`store`] (the only SQL) and [`domain`] (pure types and rules);
//! - underneath, `belgrano_contract` (the wire types) and
//!   `belgrano_platform` (database, outbox worker, sessions, CSRF,
//!   throttle, passwords, HTTP layers, telemetry).
//!
//! One order's way: `http::checkout` (form or JSON into a validated
//! [`domain::checkout::Checkout`]) → [`checkout`] (stock, order, lines and
//! an outbox row in one transaction, in [`store`]) → [`delivery`] (the
//! platform worker posts the seed's ticket to Tickets, retrying until it is
//! accepted) → the order learns its ticket.

pub mod accounts;
pub mod checkout;
pub mod config;
pub mod contacto;
pub mod datos;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod lookup;
pub mod paquetes;
pub mod startup;
pub mod store;
pub mod tickets_client;
pub mod tracking;

pub use config::Settings;
pub use startup::Application;
