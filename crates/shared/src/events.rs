//! Socket.IO events Tickets emits. Every event carries `seq`, a number that
//! only grows: a client that reconnects asks for everything after the last
//! `seq` it saw and so misses nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::estado::{Estado, Prioridad, TipoCliente};
use crate::ticket::fecha;

pub const NUEVO_TICKET: &str = "nuevo_ticket";
pub const TICKET_ACTUALIZADO: &str = "ticket_actualizado";
pub const TICKET_ASIGNADO: &str = "ticket_asignado";
pub const TICKET_ELIMINADO: &str = "ticket_eliminado";

/// `nuevo_ticket`: the old payload (`ticket_id, numero, cliente_nombre,
/// estado, repartidor`) plus what a board card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NuevoTicketEvent {
    pub seq: i64,
    pub ticket_id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    pub estado: Estado,
    pub repartidor: Option<String>,
    pub repartidor_id: Option<i64>,
    pub prioridad: Prioridad,
    pub tipo_cliente: TipoCliente,
    pub total: f64,
    pub productos_count: usize,
    #[serde(with = "fecha")]
    pub fecha_creacion: DateTime<Utc>,
}
