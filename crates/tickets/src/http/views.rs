//! Tickets as pages show them: amounts in pesos, dates in Buenos Aires
//! time, labels in Spanish. Shared by the board, the detail page, the
//! printable slip and the courier's page.

use belgrano_contract::ticket::{FranjaTicket, Ticket};
use belgrano_contract::{Centavos, Estado};
use chrono::{DateTime, Datelike, Utc, Weekday};

use belgrano_platform::http::url_encode;

use crate::domain::cobro::frase_cobro;
use crate::domain::parada::paradas;
use crate::domain::reports::buenos_aires;
use crate::domain::telefono::{Telefono, telefono};

/// `28/11/2026 00:21` in Buenos Aires time.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&buenos_aires()).format("%d/%m/%Y %H:%M").to_string()
}

/// A delivery window in Buenos Aires time: `mié 2/12, 12:00–15:00` (or
/// `mié 2/12 22:00 – jue 3/12 01:00` across midnight).
pub fn franja(f: &FranjaTicket) -> String {
    let tz = buenos_aires();
    let (desde, hasta) = (f.desde.with_timezone(&tz), f.hasta.with_timezone(&tz));
    let dia = |d: &DateTime<chrono::FixedOffset>| {
        let nombre = match d.weekday() {
            Weekday::Mon => "lun",
            Weekday::Tue => "mar",
            Weekday::Wed => "mié",
            Weekday::Thu => "jue",
            Weekday::Fri => "vie",
            Weekday::Sat => "sáb",
            Weekday::Sun => "dom",
        };
        format!("{nombre} {}/{}", d.day(), d.month())
    };
    if desde.date_naive() == hasta.date_naive() {
        format!("{}, {}–{}", dia(&desde), desde.format("%H:%M"), hasta.format("%H:%M"))
    } else {
        format!("{} {} – {} {}", dia(&desde), desde.format("%H:%M"), dia(&hasta), hasta.format("%H:%M"))
    }
}

pub fn pesos(amount: f64) -> String {
    Centavos::from_pesos(amount).unwrap_or_default().format_ars()
}

#[derive(Clone)]
pub struct ProductLine {
    pub nombre: String,
    pub cantidad: u32,
    pub subtotal: String,
}

/// A pick-up stop with its lines as the page lists them.
pub struct ParadaView {
    pub titulo: String,
    pub direccion: Option<String>,
    pub mapa_url: Option<String>,
    pub sin_datos: bool,
    pub lineas: Vec<ProductLine>,
}

pub struct TicketView {
    pub id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    /// The address, escaped for a map search link.
    pub direccion_url: String,
    /// The phone with its `tel:` and WhatsApp links (none when it does not parse).
    pub telefono: Option<Telefono>,
    pub cliente_email: Option<String>,
    pub indicaciones: Option<String>,
    pub tipo_cliente: &'static str,
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
    /// The lines grouped by where the courier picks them up.
    pub paradas: Vec<ParadaView>,
    /// "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · …".
    pub cobro_texto: String,
    /// The delivery window, `mié 2/12, 12:00–15:00`.
    pub franja_texto: Option<String>,
    pub barrio: Option<String>,
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
        let productos: Vec<ProductLine> = t
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
            .collect();
        let paradas = paradas(&t.productos)
            .into_iter()
            .map(|p| ParadaView {
                titulo: p.titulo,
                direccion: p.direccion,
                mapa_url: p.mapa_url,
                sin_datos: p.sin_datos,
                lineas: p.lineas.iter().filter_map(|l| productos.get(l.indice).cloned()).collect(),
            })
            .collect();
        Self {
            id: t.id,
            numero: t.numero.clone(),
            cliente_nombre: t.cliente_nombre.clone(),
            direccion_url: url_encode(&format!("{direccion}, Buenos Aires")),
            cliente_direccion: t.cliente_direccion.clone(),
            telefono: t.cliente_telefono.as_deref().filter(|s| !s.trim().is_empty()).map(telefono),
            cliente_email: t.cliente_email.clone(),
            indicaciones: t.indicaciones.clone(),
            tipo_cliente: t.tipo_cliente.as_str(),
            estado: t.estado.as_str(),
            estado_texto: t.estado.label(),
            prioridad: t.prioridad.as_str(),
            final_state: t.estado.is_final(),
            siguiente: t.estado.next().map(|n| (n.as_str(), action_label(n))),
            repartidor: t.repartidor.clone(),
            repartidor_id: t.repartidor_id,
            motivo_cancelacion: t.motivo_cancelacion.clone(),
            notas_repartidor: t.notas_repartidor.clone(),
            productos,
            paradas,
            cobro_texto: frase_cobro(
                t.cobro.as_ref(),
                Centavos::from_pesos(t.total).unwrap_or_default(),
                t.metodo_pago,
            ),
            franja_texto: t.entrega.as_ref().map(|e| franja(&e.franja)),
            barrio: t.entrega.as_ref().map(|e| e.barrio.clone()),
            total_texto: pesos(t.total),
            creado: local_time(t.fecha_creacion),
        }
    }
}

/// The states as (wire value, label), for filter menus.
pub fn estados() -> Vec<(&'static str, &'static str)> {
    Estado::ALL.iter().map(|e| (e.as_str(), e.label())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(desde: &str, hasta: &str) -> String {
        franja(&FranjaTicket {
            desde: DateTime::parse_from_rfc3339(desde).unwrap(),
            hasta: DateTime::parse_from_rfc3339(hasta).unwrap(),
        })
    }

    #[test]
    fn windows_in_buenos_aires_time() {
        assert_eq!(f("2026-12-02T12:00:00-03:00", "2026-12-02T15:00:00-03:00"), "mié 2/12, 12:00–15:00");
        // Sent in UTC, shown in Buenos Aires.
        assert_eq!(f("2026-12-05T12:00:00Z", "2026-12-05T15:00:00Z"), "sáb 5/12, 09:00–12:00");
        assert_eq!(f("2026-12-02T22:00:00-03:00", "2026-12-03T01:00:00-03:00"), "mié 2/12 22:00 – jue 3/12 01:00");
    }
}
