//! Ahorro's tests over real HTTP against the real application, with a
//! wiremock server as Tickets. Each test has its own database; scenarios
//! marked with `on_both_backends!` also run on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod admin_acceso;
mod admin_catalogo;
mod admin_imagenes;
mod admin_pedidos;
mod antiguas;
mod api_v1;
mod catalogo;
mod checkout;
mod cli;
mod correo;
mod cuenta;
mod delivery;
mod entrega;
mod hardening;
mod helpers;
mod metrics;
mod openapi;
mod pages;
mod paginas;
mod paquetes;
mod seguimiento;
mod store;
mod tienda;

pub(crate) use belgrano_testkit::on_both_backends;
