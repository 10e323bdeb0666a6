//! An order's progress as the customer follows it: the stored snapshot
//! ([`Seguimiento`]: the ticket's state without the order's lines or the
//! customer's contact data), what pages, streams and the JSON answer show
//! ([`EstadoPedido`]), and the four steps of the tracking page.

use belgrano_contract::Estado;
use belgrano_contract::ticket::iso8601;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use super::hora::local;

/// An order's progress as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Seguimiento {
    pub numero: String,
    pub fecha: DateTime<Utc>,
    pub ticket_id: Option<i64>,
    /// `None` until Tickets reported the ticket.
    pub ticket_estado: Option<Estado>,
    pub repartidor: Option<String>,
    pub ticket_version: i64,
    pub fecha_actualizacion: DateTime<Utc>,
    pub fecha_en_camino: Option<DateTime<Utc>>,
    pub fecha_entrega: Option<DateTime<Utc>>,
    pub motivo_cancelacion: Option<String>,
    pub intentos_fallidos: i64,
    pub motivo_intento: Option<String>,
}

/// The order's progress as pages, streams and the JSON answer show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstadoPedido {
    pub numero: String,
    /// The ticket's state; `pendiente` until Tickets confirmed it.
    pub estado: Estado,
    pub estado_label: String,
    pub ticket_id: Option<i64>,
    pub repartidor: Option<String>,
    pub version: i64,
    pub actualizado: String,
    pub actualizado_local: String,
    pub fecha: String,
    pub fecha_local: String,
    pub fecha_en_camino: Option<String>,
    pub en_camino_local: Option<String>,
    pub fecha_entrega: Option<String>,
    pub entrega_local: Option<String>,
    pub motivo_cancelacion: Option<String>,
    /// Back to `pendiente` after a failed attempt: its reason ("No pudimos
    /// entregarlo: <motivo>. Lo reprogramamos.").
    pub no_entregado: Option<String>,
}

impl From<&Seguimiento> for EstadoPedido {
    fn from(s: &Seguimiento) -> Self {
        let estado = s.ticket_estado.unwrap_or(Estado::Pendiente);
        Self {
            numero: s.numero.clone(),
            estado,
            estado_label: estado.label().to_owned(),
            ticket_id: s.ticket_id,
            repartidor: s.repartidor.clone(),
            version: s.ticket_version,
            actualizado: iso8601(s.fecha_actualizacion),
            actualizado_local: local(s.fecha_actualizacion),
            fecha: iso8601(s.fecha),
            fecha_local: local(s.fecha),
            fecha_en_camino: s.fecha_en_camino.map(iso8601),
            en_camino_local: s.fecha_en_camino.map(local),
            fecha_entrega: s.fecha_entrega.map(iso8601),
            entrega_local: s.fecha_entrega.map(local),
            motivo_cancelacion: s.motivo_cancelacion.clone(),
            no_entregado: super::pedido::no_entregado(
                s.ticket_estado,
                s.intentos_fallidos,
                s.motivo_intento.as_deref(),
            )
            .map(str::to_owned),
        }
    }
}

/// One step of `pendiente → en preparación → en camino → entregado`.
#[derive(Debug, Clone)]
pub struct Paso {
    pub estado: &'static str,
    pub label: &'static str,
    /// `hecho`, `actual` or `pendiente` (a CSS class too).
    pub clase: &'static str,
    pub fecha: String,
}

const PASOS: [Estado; 4] = [Estado::Pendiente, Estado::EnPreparacion, Estado::EnCamino, Estado::Entregado];

impl EstadoPedido {
    pub fn cancelado(&self) -> bool {
        self.estado == Estado::Cancelado
    }

    /// The four steps with where the order is; all `pendiente` if cancelled.
    pub fn pasos(&self) -> Vec<Paso> {
        let actual = PASOS.iter().position(|e| *e == self.estado);
        PASOS
            .iter()
            .enumerate()
            .map(|(i, e)| Paso {
                estado: e.as_str(),
                label: e.label(),
                clase: match actual {
                    Some(a) if i < a => "hecho",
                    Some(a) if i == a => "actual",
                    _ => "pendiente",
                },
                fecha: match e {
                    Estado::Pendiente => Some(self.fecha_local.clone()),
                    Estado::EnCamino => self.en_camino_local.clone(),
                    Estado::Entregado => self.entrega_local.clone(),
                    _ => None,
                }
                .unwrap_or_default(),
            })
            .collect()
    }
}
