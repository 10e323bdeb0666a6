//! Tickets as pages show them: amounts in pesos, dates in Buenos Aires
//! time, labels in Spanish. Shared by the board, the detail page, the
//! printable slip and the courier's page.

use belgrano_contract::ticket::Ticket;
use belgrano_contract::{Centavos, Estado};
use chrono::{DateTime, Utc};

use belgrano_platform::http::url_encode;

use crate::domain::reports::buenos_aires;

/// `28/11/2026 00:21` in Buenos Aires time.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&buenos_aires()).format("%d/%m/%Y %H:%M").to_string()
}

pub fn pesos(amount: f64) -> String {
    Centavos::from_pesos(amount).unwrap_or_default().format_ars()
}

pub struct ProductLine {
    pub nombre: String,
    pub cantidad: u32,
    pub subtotal: String,
}

pub struct TicketView {
    pub id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    /// The address, escaped for a map search link.
    pub direccion_url: String,
    pub cliente_telefono: Option<String>,
    pub cliente_email: Option<String>,
    pub indicaciones: Option<String>,
    pub tipo_cliente: &'static str,
    pub metodo_pago_texto: &'static str,
    pub estado: &'static str,
    pub estado_texto: &'static str,
    pub prioridad: &'static str,
    pub final_state: bool,
    /// The next step forward, as (wire value, button label).
    pub siguiente: Option<(&'static str, &'static str)>,
    pub repartidor: Option<String>,
    pub repartidor_id: Option<i64>,
    pub motivo_cancelacion: Option<String>,
    pub notas_repartidor: Option<String>,
    pub productos: Vec<ProductLine>,
    pub total_texto: String,
    pub creado: String,
}

/// The button a person presses to move a ticket to `next`.
fn action_label(next: Estado) -> &'static str {
    match next {
        Estado::EnPreparacion => "Empezar preparación",
        Estado::EnCamino => "Salgo en camino",
        Estado::Entregado => "Entregado",
        Estado::Pendiente | Estado::Cancelado => "",
    }
}

impl From<&Ticket> for TicketView {
    fn from(t: &Ticket) -> Self {
        let direccion = t.cliente_direccion.clone().unwrap_or_default();
        Self {
            id: t.id,
            numero: t.numero.clone(),
            cliente_nombre: t.cliente_nombre.clone(),
            direccion_url: url_encode(&format!("{direccion}, Buenos Aires")),
            cliente_direccion: t.cliente_direccion.clone(),
            cliente_telefono: t.cliente_telefono.clone(),
            cliente_email: t.cliente_email.clone(),
            indicaciones: t.indicaciones.clone(),
            tipo_cliente: t.tipo_cliente.as_str(),
            metodo_pago_texto: t.metodo_pago.map(|m| m.label()).unwrap_or("Sin indicar"),
            estado: t.estado.as_str(),
            estado_texto: t.estado.label(),
            prioridad: t.prioridad.as_str(),
            final_state: t.estado.is_final(),
            siguiente: t.estado.next().map(|n| (n.as_str(), action_label(n))),
            repartidor: t.repartidor.clone(),
            repartidor_id: t.repartidor_id,
            motivo_cancelacion: t.motivo_cancelacion.clone(),
            notas_repartidor: t.notas_repartidor.clone(),
            productos: t
                .productos
                .iter()
                .map(|p| ProductLine {
                    nombre: p.nombre.clone(),
                    cantidad: p.cantidad,
                    subtotal: p
                        .subtotal
                        .or(p.precio.map(|precio| precio * p.cantidad as f64))
                        .map(pesos)
                        .unwrap_or_else(|| "—".to_owned()),
                })
                .collect(),
            total_texto: pesos(t.total),
            creado: local_time(t.fecha_creacion),
        }
    }
}

/// The states as (wire value, label), for filter menus.
pub fn estados() -> Vec<(&'static str, &'static str)> {
    Estado::ALL.iter().map(|e| (e.as_str(), e.label())).collect()
}
