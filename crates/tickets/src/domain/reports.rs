//! Reports for dispatchers: tickets per state, per courier and per day, the
//! average time from creation to delivery, revenue and average ticket of
//! what was delivered, failed attempts, and the on-time rate per delivery
//! window and per courier, over a period; and the same tickets as CSV.
//! Days and windows are Buenos Aires time (UTC−3; Argentina keeps no
//! daylight saving time).

use std::collections::BTreeMap;

use belgrano_contract::ticket::FranjaTicket;
use belgrano_contract::{Centavos, Estado};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// Buenos Aires time.
pub fn buenos_aires() -> FixedOffset {
    FixedOffset::west_opt(3 * 3600).expect("a valid offset")
}

/// What a report needs to know of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTicket {
    pub numero: String,
    pub estado: Estado,
    pub total: Centavos,
    pub intentos_fallidos: u32,
    /// The delivery window the customer chose, if the order had one.
    pub franja: Option<FranjaTicket>,
    pub repartidor: Option<String>,
    pub fecha_creacion: DateTime<Utc>,
    pub fecha_entrega: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
    pub total: usize,
    pub por_estado: Vec<(Estado, usize)>,
    /// Courier name ("Sin asignar" for none) → (open, delivered, cancelled).
    pub por_repartidor: Vec<(String, CourierCounts)>,
    /// Every day of the period, including days without tickets.
    pub por_dia: Vec<(NaiveDate, usize)>,
    pub entrega_promedio_minutos: Option<f64>,
    pub entregados: usize,
    /// Sum of the totals of the delivered tickets.
    pub ingresos: Centavos,
    /// `ingresos` over the delivered tickets.
    pub ticket_promedio: Option<Centavos>,
    /// Sum of every ticket's failed attempts.
    pub intentos_fallidos: u64,
    /// Window of the day ("12:00–15:00") → on time; windows in time order.
    pub puntualidad_por_franja: Vec<(String, Puntualidad)>,
}

/// Delivered tickets that had a window, and how many of them arrived by
/// its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Puntualidad {
    pub con_franja: usize,
    pub a_tiempo: usize,
}

impl Puntualidad {
    /// Share delivered on time, 0 to 1; none without windowed deliveries.
    pub fn tasa(&self) -> Option<f64> {
        (self.con_franja > 0).then(|| self.a_tiempo as f64 / self.con_franja as f64)
    }

    /// "75 %" or "—".
    pub fn porcentaje(&self) -> String {
        self.tasa().map(|t| format!("{:.0} %", t * 100.0)).unwrap_or_else(|| "—".to_owned())
    }

    fn count(&mut self, on_time: bool) {
        self.con_franja += 1;
        self.a_tiempo += usize::from(on_time);
    }
}

/// The window's time of day in Buenos Aires, `12:00–15:00`.
pub fn franja_label(franja: &FranjaTicket) -> String {
    let tz = buenos_aires();
    format!("{}–{}", franja.desde.with_timezone(&tz).format("%H:%M"), franja.hasta.with_timezone(&tz).format("%H:%M"))
}

/// Delivered at or before the window's end. `None` when the ticket was not
/// delivered or had no window.
pub fn a_tiempo(t: &ReportTicket) -> Option<bool> {
    match (t.estado, t.fecha_entrega, &t.franja) {
        (Estado::Entregado, Some(entrega), Some(franja)) => Some(entrega <= franja.hasta.with_timezone(&Utc)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CourierCounts {
    pub abiertos: usize,
    pub entregados: usize,
    pub cancelados: usize,
    pub intentos_fallidos: u64,
    pub puntualidad: Puntualidad,
}

impl CourierCounts {
    pub fn total(&self) -> usize {
        self.abiertos + self.entregados + self.cancelados
    }
}

/// Builds the report of the tickets created between `desde` and `hasta`
/// (Buenos Aires days, both included).
pub fn build(tickets: &[ReportTicket], desde: NaiveDate, hasta: NaiveDate) -> Report {
    let tz = buenos_aires();
    let mut por_estado: BTreeMap<Estado, usize> = Estado::ALL.iter().map(|e| (*e, 0)).collect();
    let mut por_repartidor: BTreeMap<String, CourierCounts> = BTreeMap::new();
    let mut por_dia: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut day = desde;
    while day <= hasta {
        por_dia.insert(day, 0);
        day = day.succ_opt().expect("dates stay in range");
    }
    let mut delivery_minutes = Vec::new();
    let mut ingresos = 0i64;
    let mut intentos_fallidos = 0u64;
    let mut por_franja: BTreeMap<String, Puntualidad> = BTreeMap::new();
    for t in tickets {
        intentos_fallidos += u64::from(t.intentos_fallidos);
        *por_estado.entry(t.estado).or_default() += 1;
        let counts =
            por_repartidor.entry(t.repartidor.clone().unwrap_or_else(|| "Sin asignar".to_owned())).or_default();
        match t.estado {
            Estado::Entregado => counts.entregados += 1,
            Estado::Cancelado => counts.cancelados += 1,
            _ => counts.abiertos += 1,
        }
        counts.intentos_fallidos += u64::from(t.intentos_fallidos);
        if let (Some(on_time), Some(franja)) = (a_tiempo(t), &t.franja) {
            counts.puntualidad.count(on_time);
            por_franja.entry(franja_label(franja)).or_default().count(on_time);
        }
        if t.estado == Estado::Entregado {
            ingresos += t.total.0;
        }
        *por_dia.entry(t.fecha_creacion.with_timezone(&tz).date_naive()).or_default() += 1;
        if let (Estado::Entregado, Some(entrega)) = (t.estado, t.fecha_entrega) {
            delivery_minutes.push((entrega - t.fecha_creacion).num_seconds() as f64 / 60.0);
        }
    }
    let entregados = delivery_minutes.len();
    let delivered = tickets.iter().filter(|t| t.estado == Estado::Entregado).count() as i64;
    Report {
        desde,
        hasta,
        total: tickets.len(),
        por_estado: por_estado.into_iter().collect(),
        por_repartidor: por_repartidor.into_iter().collect(),
        por_dia: por_dia.into_iter().collect(),
        entrega_promedio_minutos: (entregados > 0).then(|| delivery_minutes.iter().sum::<f64>() / entregados as f64),
        entregados,
        ingresos: Centavos(ingresos),
        // Rounded to the centavo, half away from zero.
        ticket_promedio: (delivered > 0).then(|| Centavos((ingresos + delivered / 2) / delivered)),
        intentos_fallidos,
        puntualidad_por_franja: por_franja.into_iter().collect(),
    }
}

/// Column names of the CSV export, in Spanish.
pub const CSV_HEADER: [&str; 10] = [
    "Número",
    "Creado",
    "Estado",
    "Repartidor",
    "Total",
    "Franja",
    "Entregado",
    "A tiempo",
    "Intentos fallidos",
    "Día",
];

/// The period's tickets as CSV for a Spanish-locale spreadsheet: `;` between
/// fields and a decimal comma (Excel in es-AR/es-ES reads `,` as the
/// decimal separator and uses `;` as the list separator, so this opens
/// into columns with numbers as numbers), CRLF line ends, and a UTF-8 BOM
/// so accents show. Amounts are plain pesos (`6120,50`, no `$` nor
/// thousands separator); times are Buenos Aires `AAAA-MM-DD HH:MM`.
pub fn csv(tickets: &[ReportTicket]) -> String {
    let tz = buenos_aires();
    let time = |at: DateTime<Utc>| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let mut out = String::from("\u{feff}");
    push_row(&mut out, CSV_HEADER.iter().map(|h| h.to_string()));
    let mut sorted: Vec<&ReportTicket> = tickets.iter().collect();
    sorted.sort_by(|a, b| a.fecha_creacion.cmp(&b.fecha_creacion).then_with(|| a.numero.cmp(&b.numero)));
    for t in sorted {
        push_row(
            &mut out,
            [
                text_cell(&t.numero),
                time(t.fecha_creacion),
                t.estado.label().to_owned(),
                text_cell(t.repartidor.as_deref().unwrap_or("Sin asignar")),
                amount_cell(t.total),
                t.franja.as_ref().map(franja_label).unwrap_or_default(),
                t.fecha_entrega.filter(|_| t.estado == Estado::Entregado).map(time).unwrap_or_default(),
                match a_tiempo(t) {
                    Some(true) => "sí".to_owned(),
                    Some(false) => "no".to_owned(),
                    None => String::new(),
                },
                t.intentos_fallidos.to_string(),
                t.fecha_creacion.with_timezone(&tz).date_naive().to_string(),
            ]
            .into_iter(),
        );
    }
    out
}

/// `6120,50`: pesos with a decimal comma.
pub fn amount_cell(amount: Centavos) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let abs = amount.0.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// Text as typed, except that a leading `= + - @` (a formula to a
/// spreadsheet) is neutralised with an apostrophe.
fn text_cell(raw: &str) -> String {
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_owned() }
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let mut first = true;
    for cell in cells {
        if !first {
            out.push(';');
        }
        first = false;
        if cell.contains([';', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// The UTC instants that bound Buenos Aires days `desde..=hasta`.
pub fn utc_bounds(desde: NaiveDate, hasta: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let tz = buenos_aires();
    let start = desde.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(tz).unwrap().with_timezone(&Utc);
    let end = hasta.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(tz).unwrap().with_timezone(&Utc)
        + Duration::days(1);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn ticket(
        estado: Estado,
        repartidor: Option<&str>,
        fecha_creacion: DateTime<Utc>,
        fecha_entrega: Option<DateTime<Utc>>,
    ) -> ReportTicket {
        ReportTicket {
            numero: format!("PED-{}", fecha_creacion.timestamp()),
            estado,
            total: Centavos(100_000),
            intentos_fallidos: 0,
            franja: None,
            repartidor: repartidor.map(str::to_owned),
            fecha_creacion,
            fecha_entrega,
        }
    }

    /// A window of Buenos Aires hours `desde`..`hasta` on 2026-11-27.
    fn franja(desde: u32, hasta: u32) -> FranjaTicket {
        let tz = buenos_aires();
        FranjaTicket {
            desde: tz.with_ymd_and_hms(2026, 11, 27, desde, 0, 0).unwrap(),
            hasta: tz.with_ymd_and_hms(2026, 11, 27, hasta, 0, 0).unwrap(),
        }
    }

    #[test]
    fn revenue_average_ticket_failed_attempts_and_on_time_rates() {
        let ba = |h: u32, m: u32| buenos_aires().with_ymd_and_hms(2026, 11, 27, h, m, 0).unwrap().with_timezone(&Utc);
        let mut tickets = vec![
            // 12–15 window: one at the very end (on time), one a minute late.
            ReportTicket {
                total: Centavos(612_050),
                franja: Some(franja(12, 15)),
                ..ticket(Estado::Entregado, Some("Ana"), ba(10, 0), Some(ba(15, 0)))
            },
            ReportTicket {
                total: Centavos(100_001),
                franja: Some(franja(12, 15)),
                intentos_fallidos: 2,
                ..ticket(Estado::Entregado, Some("Beto"), ba(10, 5), Some(ba(15, 1)))
            },
            // 9–12 window, early: on time.
            ReportTicket {
                total: Centavos(50_000),
                franja: Some(franja(9, 12)),
                ..ticket(Estado::Entregado, Some("Ana"), ba(8, 0), Some(ba(9, 30)))
            },
            // Not delivered: no revenue, no punctuality, but its attempt counts.
            ReportTicket {
                franja: Some(franja(9, 12)),
                intentos_fallidos: 1,
                ..ticket(Estado::Pendiente, None, ba(8, 10), None)
            },
            // Delivered without a window: revenue, no punctuality.
            ticket(Estado::Entregado, Some("Ana"), ba(11, 0), Some(ba(11, 40))),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let report = build(&tickets, day, day);
        assert_eq!(report.ingresos, Centavos(612_050 + 100_001 + 50_000 + 100_000));
        // 862_051 / 4 = 215_512.75 → 215_513.
        assert_eq!(report.ticket_promedio, Some(Centavos(215_513)));
        assert_eq!(report.intentos_fallidos, 3);
        assert_eq!(
            report.puntualidad_por_franja,
            vec![
                ("09:00–12:00".to_owned(), Puntualidad { con_franja: 1, a_tiempo: 1 }),
                ("12:00–15:00".to_owned(), Puntualidad { con_franja: 2, a_tiempo: 1 }),
            ]
        );
        let of = |name: &str| report.por_repartidor.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(of("Ana").puntualidad, Puntualidad { con_franja: 2, a_tiempo: 2 });
        assert_eq!(of("Ana").puntualidad.porcentaje(), "100 %");
        assert_eq!(of("Beto").puntualidad.tasa(), Some(0.0));
        assert_eq!(of("Beto").intentos_fallidos, 2);
        assert_eq!(of("Sin asignar").puntualidad.porcentaje(), "—");

        tickets.truncate(0);
        let empty = build(&tickets, day, day);
        assert_eq!((empty.ingresos, empty.ticket_promedio, empty.intentos_fallidos), (Centavos(0), None, 0));
        assert!(empty.puntualidad_por_franja.is_empty());
    }

    #[test]
    fn windows_are_named_by_their_buenos_aires_hours_whatever_the_offset_sent() {
        // 15:00Z is 12:00 in Buenos Aires.
        let utc = FixedOffset::east_opt(0).unwrap();
        let f = FranjaTicket {
            desde: utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap(),
            hasta: utc.with_ymd_and_hms(2026, 11, 27, 18, 30, 0).unwrap(),
        };
        assert_eq!(franja_label(&f), "12:00–15:30");
    }

    #[test]
    fn csv_is_semicolon_separated_with_decimal_commas_and_spanish_headers() {
        let ba = |h: u32| buenos_aires().with_ymd_and_hms(2026, 11, 27, h, 0, 0).unwrap().with_timezone(&Utc);
        let tickets = vec![
            ReportTicket {
                numero: "=HYPERLINK(\"x\")".into(),
                total: Centavos(612_050),
                franja: Some(franja(12, 15)),
                intentos_fallidos: 1,
                ..ticket(Estado::Entregado, Some("Ana; la rápida"), ba(11), Some(ba(13)))
            },
            ticket(Estado::Pendiente, None, ba(9), None),
        ];
        let text = csv(&tickets);
        assert!(text.starts_with('\u{feff}'), "a BOM so Excel reads UTF-8");
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "Número;Creado;Estado;Repartidor;Total;Franja;Entregado;A tiempo;Intentos fallidos;Día");
        assert_eq!(lines[1], "PED-1795780800;2026-11-27 09:00;Pendiente;Sin asignar;1000,00;;;;0;2026-11-27");
        assert_eq!(
            lines[2],
            "\"'=HYPERLINK(\"\"x\"\")\";2026-11-27 11:00;Entregado;\"Ana; la rápida\";6120,50;12:00–15:00;2026-11-27 13:00;sí;1;2026-11-27"
        );
        assert_eq!(lines[3], "", "the last line ends too");
        assert_eq!(amount_cell(Centavos(5)), "0,05");
        assert_eq!(amount_cell(Centavos(-150)), "-1,50");
    }
    #[test]
    fn counts_by_state_courier_and_buenos_aires_day() {
        let tickets = vec![
            ticket(Estado::Entregado, Some("R1"), at(2026, 11, 27, 12), Some(at(2026, 11, 27, 13))),
            ticket(
                Estado::Entregado,
                Some("R1"),
                at(2026, 11, 27, 14),
                Some(at(2026, 11, 27, 14) + Duration::minutes(30)),
            ),
            // 01:00 UTC on the 28th is still the 27th in Buenos Aires.
            ticket(Estado::Pendiente, None, at(2026, 11, 28, 1), None),
            ticket(Estado::Cancelado, Some("R2"), at(2026, 11, 28, 15), None),
        ];
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let report = build(&tickets, day(26), day(28));
        assert_eq!(report.total, 4);
        assert_eq!(report.por_dia, vec![(day(26), 0), (day(27), 3), (day(28), 1)]);
        assert!(report.por_estado.contains(&(Estado::Entregado, 2)));
        assert!(report.por_estado.contains(&(Estado::EnCamino, 0)));
        assert_eq!(report.entrega_promedio_minutos, Some(45.0));
        let r1 = report.por_repartidor.iter().find(|(n, _)| n == "R1").unwrap().1;
        assert_eq!((r1.abiertos, r1.entregados, r1.cancelados), (0, 2, 0));
        assert!(report.por_repartidor.iter().any(|(n, c)| n == "Sin asignar" && c.abiertos == 1));
    }

    #[test]
    fn day_bounds_are_buenos_aires_midnights() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let (start, end) = utc_bounds(day, day);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap());
    }
}
