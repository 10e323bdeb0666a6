//! Buenos Aires time, the one place the shop computes it: Argentina is
//! UTC−3 all year (no daylight saving), so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// UTC−3.
pub fn offset() -> FixedOffset {
    FixedOffset::west_opt(3 * 3600).expect("UTC-3 is a valid offset")
}

/// A moment in Buenos Aires time.
pub fn ba(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&offset())
}

/// Today's date in Buenos Aires.
pub fn hoy(now: DateTime<Utc>) -> NaiveDate {
    ba(now).date_naive()
}

/// The moment of `hora` on `fecha`, Buenos Aires time.
pub fn momento(fecha: NaiveDate, hora: NaiveTime) -> DateTime<FixedOffset> {
    offset().from_local_datetime(&fecha.and_time(hora)).single().expect("a fixed offset has no gaps")
}

/// `dd/mm/aaaa hh:mm`, as the shop shows dates.
pub fn local(at: DateTime<Utc>) -> String {
    ba(at).format("%d/%m/%Y %H:%M").to_string()
}

/// Spanish weekday names, Monday first (ISO order).
pub const DIAS: [&str; 7] = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];

/// The Spanish name of a date's weekday.
pub fn dia_semana(fecha: NaiveDate) -> &'static str {
    use chrono::Datelike;
    DIAS[fecha.weekday().num_days_from_monday() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buenos_aires_is_three_hours_behind() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 2, 30, 0).unwrap();
        assert_eq!(local(at), "02/12/2026 23:30");
        assert_eq!(hoy(at), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let start = momento(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(), NaiveTime::from_hms_opt(15, 0, 0).unwrap());
        assert_eq!(start.to_rfc3339(), "2026-12-03T15:00:00-03:00");
        assert_eq!(dia_semana(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()), "jueves");
    }
}
