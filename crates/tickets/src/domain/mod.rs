//! The desk's functional core: validated types and the rules that decide,
//! as pure functions over values. Nothing here touches the database, the
//! network or a clock of its own (callers pass `now`), so every rule is
//! tested in isolation; the store applies what these decide.
//!
//! - [`usuario`]: admins, dispatchers and couriers, and who a change is attributed to.
//! - [`input`]: account data as people type it, validated once.
//! - [`assign`]: which available courier takes a new ticket.
//! - [`intake`]: what one batch of intake requests becomes.
//! - [`change`]: what a change (state, courier, details) or a failed attempt may do and leaves behind.
//! - [`correo`]: what the desk mails (password reset links).
//! - [`reports`]: the dispatchers' figures over a period.
//! - [`parada`]: a ticket's lines as pick-up stops, in the courier's order.
//! - [`cobro`]: what the courier collects at the door, as one phrase.
//! - [`telefono`]: a customer's phone as typed, to `tel:` and WhatsApp links.

pub mod assign;
pub mod change;
pub mod cobro;
pub mod correo;
pub mod input;
pub mod intake;
pub mod parada;
pub mod reports;
pub mod telefono;
pub mod usuario;
