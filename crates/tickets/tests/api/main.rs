//! Tickets through its real surfaces: HTTP and Socket.IO, on SQLite and on
//! PostgreSQL (when `TEST_DATABASE_URL` is set).

mod helpers;

pub use belgrano_testkit::on_both_backends;

mod accounts;
mod aliases;
mod assignment;
mod cli;
mod conventions;
mod desk;
mod edicion;
mod habitos;
mod hardening;
mod health;
mod idempotency;
mod intake;
mod intentos;
mod lifecycle;
mod live;
mod mostrador;
mod openapi;
mod personal;
mod reading;
mod recuperar;
mod reportes;
