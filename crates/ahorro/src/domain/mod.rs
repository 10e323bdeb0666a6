//! The shop's pure types and rules: no database, no HTTP, only the
//! contract's types underneath.
//!
//! - [`catalogo`]: negocios, sucursales, categorías, productos and ofertas,
//!   the bundled seed, search folding and listing pages.
//! - [`vitrina`]: the shop window, the catalogue as the shop's pages show
//!   it, asked in memory.
//! - [`busqueda`]: the shop's search, tolerant of typos, and its
//!   suggestions.
//! - [`carrito`]: the cart (ids and quantities) and the cart priced from the
//!   catalogue.
//! - [`usuario`]: accounts and the validation of what people type (CUIT,
//!   e-mail, passwords, registration).
//! - [`checkout`]: a checkout as typed and as validated, and the ticket it
//!   becomes.
//! - [`pedido`]: the order, typed (estado, método de pago, tipo de cliente,
//!   centavos, the delivery's status).
//! - [`seguimiento`]: an order's progress and the tracking page's steps.
//! - [`entrega`]: zones, delivery windows, structured addresses.
//! - [`hora`]: Buenos Aires time, computed only there.
//! - [`correo`]: what the shop mails (order, status, reset, contact).
//! - [`contacto`]: a contact form message, validated, and as kept.
//! - [`paquete`]: merchants' standing orders (bundle, rhythm, next date).
//! - [`imagen`]: uploaded product photos (decoded with limits, re-encoded)
//!   and the illustrations shown where there is none.

pub mod busqueda;
pub mod carrito;
pub mod catalogo;
pub mod checkout;
pub mod contacto;
pub mod correo;
pub mod entrega;
pub mod hora;
pub mod imagen;
pub mod paquete;
pub mod pedido;
pub mod seguimiento;
pub mod usuario;
pub mod vitrina;
