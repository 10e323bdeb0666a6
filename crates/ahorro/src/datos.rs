//! A customer's own data, as Argentina's Ley 25.326 (protección de datos
//! personales) asks: a copy of everything the shop keeps about them
//! ([`DatosPersonales::export`], `GET /perfil/datos`), and the erasure of
//! their account ([`DatosPersonales::erase`], `/perfil/eliminar`).
//!
//! Erasing keeps the orders, which the shop's books need (what was sold,
//! when, for how much), but nothing that names the person: the order rows
//! lose name, e-mail, phone, address and notes and their link to the
//! account (`Store::erase_usuario`); the cart, every session and the
//! account row go, so the e-mail can register again.

use belgrano_platform::password;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::entrega::DireccionGuardada;
use crate::domain::pedido::Pedido;
use crate::domain::usuario::Usuario;
use crate::store::{Store, StoreError};

/// The export's version, for whoever reads an old file.
pub const EXPORT_VERSION: u32 = 1;

/// The file `GET /perfil/datos` downloads.
#[derive(Debug, Serialize)]
pub struct Export {
    pub version: u32,
    pub generado: DateTime<Utc>,
    pub perfil: PerfilExport,
    pub pedidos: Vec<PedidoExport>,
    /// The saved delivery addresses.
    pub direcciones: Vec<DireccionGuardada>,
    /// What was written at `/contacto` from the account or with its e-mail.
    pub mensajes: Vec<MensajeExport>,
    /// A merchant's standing orders.
    pub paquetes: Vec<PaqueteExport>,
}

#[derive(Debug, Serialize)]
pub struct MensajeExport {
    pub fecha: DateTime<Utc>,
    pub nombre: String,
    pub email: String,
    pub mensaje: String,
}

#[derive(Debug, Serialize)]
pub struct PaqueteExport {
    pub nombre: String,
    pub frecuencia: &'static str,
    pub proxima_fecha: chrono::NaiveDate,
    pub direccion: String,
    pub activo: bool,
    /// (producto_id, cantidad).
    pub items: Vec<(i64, i64)>,
}

#[derive(Debug, Serialize)]
pub struct PerfilExport {
    pub email: String,
    pub nombre: String,
    pub apellido: String,
    pub telefono: String,
    pub direccion: String,
    pub tipo_cliente: belgrano_contract::TipoCliente,
    pub nombre_negocio: Option<String>,
    pub cuit: Option<String>,
    pub tipo_negocio: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PedidoExport {
    pub numero: String,
    pub fecha: DateTime<Utc>,
    /// The delivery's state as last known (`pendiente` until Tickets said).
    pub estado: belgrano_contract::Estado,
    pub cliente_nombre: String,
    pub cliente_apellido: String,
    pub cliente_email: String,
    pub cliente_telefono: String,
    pub direccion: String,
    pub metodo_pago: belgrano_contract::MetodoPago,
    pub notas: String,
    /// Pesos, as the API writes money.
    pub total: f64,
    pub items: Vec<ItemExport>,
}

#[derive(Debug, Serialize)]
pub struct ItemExport {
    pub producto_id: i64,
    pub nombre: String,
    pub cantidad: i64,
    pub precio_unitario: f64,
    pub subtotal: f64,
}

impl From<&Usuario> for PerfilExport {
    fn from(u: &Usuario) -> Self {
        Self {
            email: u.email.clone(),
            nombre: u.nombre.clone(),
            apellido: u.apellido.clone(),
            telefono: u.telefono.clone(),
            direccion: u.direccion.clone(),
            tipo_cliente: u.tipo_cliente,
            nombre_negocio: u.nombre_negocio.clone(),
            cuit: u.cuit.clone(),
            tipo_negocio: u.tipo_negocio.clone(),
        }
    }
}

impl From<Pedido> for PedidoExport {
    fn from(p: Pedido) -> Self {
        Self {
            numero: p.numero.to_string(),
            fecha: p.fecha,
            estado: p.ticket_estado.unwrap_or(p.estado),
            cliente_nombre: p.cliente.nombre,
            cliente_apellido: p.cliente.apellido,
            cliente_email: p.cliente.email,
            cliente_telefono: p.cliente.telefono,
            direccion: p.direccion,
            metodo_pago: p.metodo_pago,
            notas: p.notas,
            total: p.total.pesos(),
            items: p
                .items
                .into_iter()
                .map(|i| ItemExport {
                    producto_id: i.producto_id,
                    nombre: i.nombre,
                    cantidad: i.cantidad,
                    precio_unitario: i.precio_unitario.pesos(),
                    subtotal: i.subtotal.pesos(),
                })
                .collect(),
        }
    }
}

/// Why an e-mail change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailRefusal {
    WrongPassword,
    Invalid(belgrano_contract::FieldError),
    /// Another account has it.
    Taken,
}

/// Why an erasure was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EraseRefusal {
    WrongPassword,
    /// Staff accounts are ended from the back office (the shop must not
    /// lose its last admin from a profile page).
    Staff,
}

#[derive(Clone, Debug)]
pub struct DatosPersonales {
    store: Store,
}

impl DatosPersonales {
    /// Cheap (a clone of the pools): made where it is needed.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Everything the shop keeps about `usuario`: the profile, every order
    /// with its lines, the saved addresses, contact messages and bundles.
    pub async fn export(&self, usuario: &Usuario) -> Result<Export, StoreError> {
        let pedidos = self.store.pedidos_de(usuario.id, i64::MAX).await?;
        let direcciones = self.store.direcciones(usuario.id).await?;
        let mensajes = self.store.contactos_de(usuario.id, &usuario.email).await?;
        let paquetes = self.store.paquetes_de(usuario.id).await?;
        Ok(Export {
            version: EXPORT_VERSION,
            generado: Utc::now(),
            perfil: usuario.into(),
            pedidos: pedidos.into_iter().map(Into::into).collect(),
            direcciones,
            mensajes: mensajes
                .into_iter()
                .map(|m| MensajeExport { fecha: m.creado, nombre: m.nombre, email: m.email, mensaje: m.mensaje })
                .collect(),
            paquetes: paquetes
                .into_iter()
                .map(|p| PaqueteExport {
                    nombre: p.nombre,
                    frecuencia: p.frecuencia.as_str(),
                    proxima_fecha: p.proxima_fecha,
                    direccion: p.direccion,
                    activo: p.activo,
                    items: p.items,
                })
                .collect(),
        })
    }

    /// Gives `usuario` the e-mail `nuevo` (as typed) once `password`
    /// proves the account is theirs. Past orders keep the e-mail they were
    /// placed with.
    pub async fn change_email(
        &self,
        usuario: &Usuario,
        password: &str,
        nuevo: &str,
    ) -> Result<Result<(), EmailRefusal>, StoreError> {
        let nuevo = match crate::domain::usuario::email("email", nuevo) {
            Ok(e) => e,
            Err(e) => return Ok(Err(EmailRefusal::Invalid(e))),
        };
        let stored = self.store.credentials(&usuario.email).await?.map(|(_, hash)| hash);
        if !password::verify(password, stored).await {
            return Ok(Err(EmailRefusal::WrongPassword));
        }
        if nuevo.as_str() == usuario.email {
            return Ok(Ok(()));
        }
        if !self.store.update_email(usuario.id, nuevo.as_str()).await? {
            return Ok(Err(EmailRefusal::Taken));
        }
        tracing::info!(usuario_id = usuario.id, "email de la cuenta cambiado");
        Ok(Ok(()))
    }

    /// Erases `usuario`'s account once `password` proves it is theirs.
    pub async fn erase(&self, usuario: &Usuario, password: &str) -> Result<Result<(), EraseRefusal>, StoreError> {
        if usuario.es_staff() {
            return Ok(Err(EraseRefusal::Staff));
        }
        let stored = self.store.credentials(&usuario.email).await?.map(|(_, hash)| hash);
        if !password::verify(password, stored).await {
            return Ok(Err(EraseRefusal::WrongPassword));
        }
        if self.store.erase_usuario(usuario.id).await? {
            tracing::info!(usuario_id = usuario.id, "cuenta eliminada a pedido de su titular");
        }
        Ok(Ok(()))
    }
}
