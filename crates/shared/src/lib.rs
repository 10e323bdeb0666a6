//! The wire contract between Belgrano Ahorro (the shop) and Belgrano Tickets
//! (the dispatch desk).
//!
//! Field names are the ones in `flujo-comunicacion-api.md`: existing clients
//! send exactly those, so they are part of a public contract and stay Spanish.
//! Everything both services must agree on lives here once:
//!
//! - [`estado`]: the ticket states, priorities, customer kinds and payment
//!   methods, with the allowed state transitions.
//! - [`ticket`]: the intake request (lenient in what it accepts, strict in
//!   what it validates) and the intake response.
//! - [`events`]: the Socket.IO event payloads.
//! - [`api_key`]: the shared `X-API-Key`, compared in constant time.
//! - [`retry`]: the delivery retry policy both outboxes follow.
//! - [`money`]: pesos as integer centavos, so totals add up exactly.
//! - [`observability`]: Prometheus metrics (`/metrics`) for both services.
//! - [`runtime`]: the environment (development or production) and the stop signal.
//! - [`store_error`]: the storage error both stores return.
//! - [`timestamp`]: a timestamp type one SQL text can bind on SQLite and PostgreSQL.

pub mod api_key;
pub mod estado;
pub mod events;
pub mod money;
pub mod observability;
pub mod openapi;
pub mod retry;
pub mod runtime;
pub mod store_error;
pub mod ticket;
pub mod timestamp;
pub mod validation;

pub use estado::{Estado, MetodoPago, Prioridad, TipoCliente};
pub use money::Centavos;
pub use validation::FieldError;

/// The `X-API-Key` header both services use.
pub const API_KEY_HEADER: &str = "X-API-Key";
/// The request id header carried from Ahorro to Tickets for one order.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";
