//! The wire contract between Belgrano Ahorro (the shop) and Belgrano Tickets
//! (the dispatch desk): what one service sends the other, and nothing else.
//!
//! Field names are the ones in `flujo-comunicacion-api.md`: existing clients
//! send exactly those, so they are part of a public contract and stay
//! Spanish. This crate depends on serde and little more, so anything (a
//! client, a script, a test) can speak the contract without pulling a web
//! server or a database driver.
//!
//! - [`estado`]: the ticket states, priorities, customer kinds and payment
//!   methods, with the allowed state transitions.
//! - [`ticket`]: the intake request (lenient in what it accepts, strict in
//!   what it validates), the intake response, the ticket as read, and the
//!   status update Tickets sends back.
//! - [`events`]: the Socket.IO event payloads.
//! - [`money`]: pesos as integer centavos, so totals add up exactly.
//! - [`validation`]: the field error every API answers, and the e-mail rule.

pub mod estado;
pub mod events;
pub mod money;
pub mod ticket;
pub mod validation;

pub use estado::{Estado, MetodoPago, Prioridad, TipoCliente};
pub use money::Centavos;
pub use validation::{Email, FieldError};

/// The `X-API-Key` header both services use.
pub const API_KEY_HEADER: &str = "X-API-Key";
/// The request id header carried from Ahorro to Tickets for one order.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";
