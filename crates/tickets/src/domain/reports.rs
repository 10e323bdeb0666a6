//! Reports for dispatchers: tickets per state, per courier and per day, and
//! the average time from creation to delivery, over a period. Days are
//! Buenos Aires days (UTC−3; Argentina keeps no daylight saving time).

use std::collections::BTreeMap;

use belgrano_contract::Estado;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// Buenos Aires time.
pub fn buenos_aires() -> FixedOffset {
    FixedOffset::west_opt(3 * 3600).expect("a valid offset")
}

/// What a report needs to know of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTicket {
    pub estado: Estado,
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
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CourierCounts {
    pub abiertos: usize,
    pub entregados: usize,
    pub cancelados: usize,
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
    for t in tickets {
        *por_estado.entry(t.estado).or_default() += 1;
        let counts =
            por_repartidor.entry(t.repartidor.clone().unwrap_or_else(|| "Sin asignar".to_owned())).or_default();
        match t.estado {
            Estado::Entregado => counts.entregados += 1,
            Estado::Cancelado => counts.cancelados += 1,
            _ => counts.abiertos += 1,
        }
        *por_dia.entry(t.fecha_creacion.with_timezone(&tz).date_naive()).or_default() += 1;
        if let (Estado::Entregado, Some(entrega)) = (t.estado, t.fecha_entrega) {
            delivery_minutes.push((entrega - t.fecha_creacion).num_seconds() as f64 / 60.0);
        }
    }
    let entregados = delivery_minutes.len();
    Report {
        desde,
        hasta,
        total: tickets.len(),
        por_estado: por_estado.into_iter().collect(),
        por_repartidor: por_repartidor.into_iter().collect(),
        por_dia: por_dia.into_iter().collect(),
        entrega_promedio_minutos: (entregados > 0).then(|| delivery_minutes.iter().sum::<f64>() / entregados as f64),
        entregados,
    }
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

    #[test]
    fn counts_by_state_courier_and_buenos_aires_day() {
        let tickets = vec![
            ReportTicket {
                estado: Estado::Entregado,
                repartidor: Some("R1".into()),
                fecha_creacion: at(2026, 11, 27, 12),
                fecha_entrega: Some(at(2026, 11, 27, 13)),
            },
            ReportTicket {
                estado: Estado::Entregado,
                repartidor: Some("R1".into()),
                fecha_creacion: at(2026, 11, 27, 14),
                fecha_entrega: Some(at(2026, 11, 27, 14) + Duration::minutes(30)),
            },
            // 01:00 UTC on the 28th is still the 27th in Buenos Aires.
            ReportTicket {
                estado: Estado::Pendiente,
                repartidor: None,
                fecha_creacion: at(2026, 11, 28, 1),
                fecha_entrega: None,
            },
            ReportTicket {
                estado: Estado::Cancelado,
                repartidor: Some("R2".into()),
                fecha_creacion: at(2026, 11, 28, 15),
                fecha_entrega: None,
            },
        ];
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let report = build(&tickets, day(26), day(28));
        assert_eq!(report.total, 4);
        assert_eq!(report.por_dia, vec![(day(26), 0), (day(27), 3), (day(28), 1)]);
        assert!(report.por_estado.contains(&(Estado::Entregado, 2)));
        assert!(report.por_estado.contains(&(Estado::EnCamino, 0)));
        assert_eq!(report.entrega_promedio_minutos, Some(45.0));
        let r1 = report.por_repartidor.iter().find(|(n, _)| n == "R1").unwrap().1;
        assert_eq!(r1, CourierCounts { abiertos: 0, entregados: 2, cancelados: 0 });
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
