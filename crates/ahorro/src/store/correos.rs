//! The shop's mails: the `correos` outbox ([`TABLE`], the platform's
//! `belgrano_platform::mail`), each mail queued in the transaction of what
//! causes it, under a key per event so a repeated event queues nothing:
//!
//! - `pedido:{numero}:confirmacion`, in the checkout's transaction
//!   ([`Store::place_pedido`] calls [`queue_confirmacion`]);
//! - `pedido:{numero}:{estado}`, in the transaction of a Tickets update that
//!   moved the order to en camino, entregado or cancelado
//!   ([`queue_estado`]);
//! - `pedido:{numero}:no-entregado:{n}`: Tickets reported its n-th failed
//!   delivery attempt ([`queue_no_entregado`]);
//! - `reset:{hash}`: a password reset link ([`Store::queue_reset`]);
//! - `contacto:{id}`: the contact form, with its kept message
//!   (`Store::guardar_contacto`, in `contactos.rs`).
//!
//! The links in mails are absolute: [`Enlaces`] (`PUBLIC_URL` and the
//! secret that signs tracking links).

use belgrano_contract::{Centavos, Estado, MetodoPago};
use belgrano_platform::db::{StoreError, Tx, parse_stored};
use belgrano_platform::mail::{self, Correo, Kept};
use belgrano_platform::outbox::Table;
use belgrano_platform::reset;

use super::Store;
use crate::domain::correo::{self, DatosPedido, Linea};
use crate::domain::pedido::{NuevoPedido, PlacedPedido, pago_en_palabras};

pub const TABLE: Table = Table { name: "correos", subject: "para" };

/// What absolute links in mails are made of.
#[derive(Debug, Clone)]
pub struct Enlaces {
    /// `PUBLIC_URL`, without a trailing slash.
    pub public_url: String,
    /// `SECRET_KEY` (tracking links).
    pub secret: Vec<u8>,
}

impl Default for Enlaces {
    fn default() -> Self {
        Self { public_url: "http://localhost:5000".into(), secret: crate::config::DEV_SECRET_KEY.as_bytes().to_vec() }
    }
}

impl Enlaces {
    pub fn seguimiento(&self, numero: &str) -> String {
        format!("{}{}", self.public_url, crate::tracking::path(&self.secret, numero))
    }

    pub fn restablecer(&self, token: &str) -> String {
        format!("{}/password/nueva/{token}", self.public_url)
    }
}

/// Queues `correo` under `clave` in `tx`.
pub async fn queue(tx: &mut Tx, clave: &str, correo: &Correo) -> Result<(), StoreError> {
    mail::queue(TABLE, clave, correo).execute(tx).await.map(drop)
}

/// The order confirmation, in the checkout's transaction.
pub async fn queue_confirmacion(
    tx: &mut Tx,
    enlaces: &Enlaces,
    pedido: &NuevoPedido,
    placed: &PlacedPedido,
) -> Result<(), StoreError> {
    let datos = DatosPedido {
        numero: pedido.numero.to_string(),
        email: pedido.cliente.email.clone(),
        nombre: pedido.cliente.nombre.clone(),
        direccion: pedido.direccion.clone(),
        pago: pago_en_palabras(pedido.metodo_pago, placed.total, pedido.paga_con),
        franja: Some(placed.turno.etiqueta()),
        envio: Some(if placed.costo_envio.0 == 0 {
            "Envío gratis".to_owned()
        } else {
            placed.costo_envio.format_ars()
        }),
        lineas: placed
            .lines
            .iter()
            .map(|l| Linea { nombre: l.nombre.clone(), cantidad: l.cantidad, subtotal: l.subtotal() })
            .collect(),
        total: placed.total,
        seguimiento: enlaces.seguimiento(pedido.numero.as_str()),
    };
    let clave = format!("pedido:{}:confirmacion", pedido.numero);
    queue(tx, &clave, &correo::confirmacion(&datos)).await
}

/// An order as its state mails show it. The update that may queue a mail
/// reads it with the order's state ([`PedidoCorreo::COLUMNS`]), so the mail
/// costs no second read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PedidoCorreo {
    pub numero: String,
    pub cliente_email: String,
    pub cliente_nombre: String,
    pub direccion: String,
    pub metodo_pago: String,
    pub total: i64,
    pub paga_con: Option<i64>,
}

impl PedidoCorreo {
    /// The `pedidos` columns it is read from, in its fields' order.
    pub const COLUMNS: &str = "numero, cliente_email, cliente_nombre, direccion, metodo_pago, total, paga_con";

    fn datos(&self, enlaces: &Enlaces) -> Result<DatosPedido, StoreError> {
        let metodo_pago: MetodoPago = parse_stored(&self.metodo_pago)?;
        Ok(DatosPedido {
            seguimiento: enlaces.seguimiento(&self.numero),
            numero: self.numero.clone(),
            email: self.cliente_email.clone(),
            nombre: self.cliente_nombre.clone(),
            direccion: self.direccion.clone(),
            pago: pago_en_palabras(metodo_pago, Centavos(self.total), self.paga_con.map(Centavos)),
            franja: None,
            envio: None,
            lineas: Vec::new(),
            total: Centavos(self.total),
        })
    }
}

/// The mail of an order's new state (en camino, entregado, cancelado), in
/// the transaction that applied the update; other states queue nothing.
pub async fn queue_estado(
    tx: &mut Tx,
    enlaces: &Enlaces,
    pedido: &PedidoCorreo,
    estado: Estado,
    motivo: Option<&str>,
) -> Result<(), StoreError> {
    if !matches!(estado, Estado::EnCamino | Estado::Entregado | Estado::Cancelado) {
        return Ok(());
    }
    let datos = pedido.datos(enlaces)?;
    let Some(c) = correo::estado(&datos, estado, motivo) else { return Ok(()) };
    queue(tx, &format!("pedido:{}:{}", datos.numero, estado.as_str()), &c).await
}

/// "No pudimos entregar tu pedido": once per failed attempt (the key holds
/// the attempt's count), in the transaction that applied the update.
pub async fn queue_no_entregado(
    tx: &mut Tx,
    enlaces: &Enlaces,
    pedido: &PedidoCorreo,
    intentos: u32,
    motivo: &str,
) -> Result<(), StoreError> {
    let datos = pedido.datos(enlaces)?;
    let c = correo::no_entregado(&datos, motivo);
    queue(tx, &format!("pedido:{}:no-entregado:{intentos}", datos.numero), &c).await
}

impl Store {
    /// The links mails carry.
    pub fn enlaces(&self) -> &Enlaces {
        &self.enlaces
    }

    /// A password reset for `usuario_id`: a new link and its mail, together.
    pub async fn queue_reset(&self, usuario_id: i64, email: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let token = reset::issue(&mut tx, usuario_id).await?;
        let c = correo::restablecer(email, &self.enlaces.restablecer(token.as_str()));
        queue(&mut tx, &format!("reset:{}", token.hash()), &c).await?;
        tx.commit().await
    }

    /// The newest mails (the dev mailbox).
    pub async fn correos(&self, limit: i64) -> Result<Vec<Kept>, StoreError> {
        mail::kept(&self.db, TABLE, limit).await
    }
}
