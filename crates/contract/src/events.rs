//! Socket.IO events Tickets emits. Every event carries `seq`, a number that
//! only grows: a client that reconnects asks for everything after the last
//! `seq` it saw (event [`SINCRONIZAR`]) and so misses nothing.
//!
//! `nuevo_ticket`, `ticket_actualizado` and `ticket_asignado` carry the
//! whole card of the ticket ([`TicketEvent`]), so a board can upsert it by
//! `ticket_id`, keeping the highest `version`; `ticket_eliminado` carries
//! [`TicketEliminadoEvent`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::estado::{Estado, Prioridad, TipoCliente};
use crate::ticket::{FranjaTicket, fecha};

pub const NUEVO_TICKET: &str = "nuevo_ticket";
pub const TICKET_ACTUALIZADO: &str = "ticket_actualizado";
pub const TICKET_ASIGNADO: &str = "ticket_asignado";
pub const TICKET_ELIMINADO: &str = "ticket_eliminado";
/// Client → server, with `{"desde_seq": N}` and an acknowledgement: answers
/// [`Sincronizacion`].
pub const SINCRONIZAR: &str = "sincronizar";

/// Server → client once the socket has joined its room (`{"rol": ...}`):
/// from here on it misses nothing.
pub const BIENVENIDA: &str = "bienvenida";
/// Server → client: catch up now (`sincronizar` from the last seq seen),
/// events may have been missed (the link between instances was down).
pub const RESINCRONIZAR: &str = "resincronizar";
/// Server → client just before the server disconnects the socket:
/// [`Desconexion`].
pub const DESCONEXION: &str = "desconexion";

/// Why the server disconnects a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MotivoDesconexion {
    /// `sesion-cerrada`: the session ended (logout, expiry, a new password,
    /// deactivation): the person logs in again.
    SesionCerrada,
    /// `cuenta-modificada`: the account changed (availability, activation):
    /// the client reconnects, which checks the session again.
    CuentaModificada,
}

impl MotivoDesconexion {
    pub fn as_str(self) -> &'static str {
        match self {
            MotivoDesconexion::SesionCerrada => "sesion-cerrada",
            MotivoDesconexion::CuentaModificada => "cuenta-modificada",
        }
    }
}

/// The payload of [`DESCONEXION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desconexion {
    pub motivo: MotivoDesconexion,
}

/// The card of a ticket: the old `nuevo_ticket` payload (`ticket_id, numero,
/// cliente_nombre, estado, repartidor`) plus what a board card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub seq: i64,
    pub ticket_id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    pub estado: Estado,
    pub repartidor: Option<String>,
    pub repartidor_id: Option<i64>,
    /// On `ticket_asignado`: who had it before (their view drops it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anterior_repartidor_id: Option<i64>,
    pub prioridad: Prioridad,
    pub tipo_cliente: TipoCliente,
    pub total: f64,
    pub productos_count: usize,
    pub version: i64,
    #[serde(with = "fecha")]
    pub fecha_creacion: DateTime<Utc>,
    #[serde(with = "fecha")]
    pub fecha_actualizacion: DateTime<Utc>,
    /// The delivery window and barrio, for tickets that came with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub franja: Option<FranjaTicket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barrio: Option<String>,
    /// Failed delivery attempts so far, and the reason of the last one.
    #[serde(default)]
    pub intentos_fallidos: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motivo_intento: Option<String>,
}

/// The payload of `nuevo_ticket`.
pub type NuevoTicketEvent = TicketEvent;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEliminadoEvent {
    pub seq: i64,
    pub ticket_id: i64,
    pub numero: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repartidor_id: Option<i64>,
}

/// One missed event in a catch-up answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventoPerdido {
    pub seq: i64,
    pub evento: String,
    pub datos: serde_json::Value,
}

/// The answer to [`SINCRONIZAR`]: events after `desde_seq` in order.
/// `completo` is false when more remain (ask again from `ultimo_seq`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sincronizacion {
    pub eventos: Vec<EventoPerdido>,
    pub ultimo_seq: i64,
    pub completo: bool,
}
