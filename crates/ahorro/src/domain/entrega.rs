//! Delivery: the barrios served ([`Zona`]: cost and minimum order), the
//! weekly windows ([`Franja`]: capacity, closing time, free delivery), a
//! window on a date ([`Turno`], sent back by the checkout as
//! `"<franja_id>@<YYYY-MM-DD>"`), the structured address ([`Direccion`])
//! and what an order stores of its delivery ([`Entrega`]).
//!
//! Times are Buenos Aires time (see [`super::hora`]).

use std::fmt;

use belgrano_contract::{Centavos, FieldError};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

use super::hora;
use super::usuario;

/// How many days ahead the checkout offers windows (today included).
pub const DIAS_OFRECIDOS: u32 = 7;
/// The zone a flat `direccion` text (old clients, no barrio) is priced at.
pub const BARRIO_POR_DEFECTO: &str = "Belgrano";
/// Limits of the settings.
pub const MAX_ZONAS: usize = 50;
pub const MAX_FRANJAS: usize = 100;
pub const MAX_CAPACIDAD: i64 = 100_000;
pub const MAX_CORTE_MINUTOS: i64 = 7 * 24 * 60;

/// A barrio served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zona {
    pub barrio: String,
    pub costo_envio: Centavos,
    /// The smallest subtotal accepted.
    pub minimo: Centavos,
}

/// A delivery window on one weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Franja {
    /// 0 when not stored yet.
    pub id: i64,
    /// ISO weekday: 1 = lunes … 7 = domingo.
    pub dia: u32,
    pub desde: NaiveTime,
    pub hasta: NaiveTime,
    /// Orders per window and date.
    pub capacidad: i64,
    /// The window closes this many minutes before it starts.
    pub corte_minutos: i64,
    /// Free delivery from this subtotal.
    pub envio_gratis_desde: Option<Centavos>,
}

/// The delivery settings: every zone and every window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ajustes {
    pub zonas: Vec<Zona>,
    pub franjas: Vec<Franja>,
}

impl Ajustes {
    /// The zone of `barrio` (compared without case or accents).
    pub fn zona(&self, barrio: &str) -> Option<&Zona> {
        let key = super::catalogo::fold(barrio.trim());
        self.zonas.iter().find(|z| super::catalogo::fold(&z.barrio) == key)
    }

    /// Every window of the next `dias` days from `now` (today included),
    /// in time order.
    pub fn turnos(&self, now: DateTime<Utc>, dias: u32) -> Vec<Turno> {
        let hoy = hora::hoy(now);
        let mut out = Vec::new();
        for d in 0..dias {
            let Some(fecha) = hoy.checked_add_days(chrono::Days::new(u64::from(d))) else { continue };
            let dia = fecha.weekday().number_from_monday();
            let mut del_dia: Vec<&Franja> = self.franjas.iter().filter(|f| f.dia == dia).collect();
            del_dia.sort_by_key(|f| f.desde);
            out.extend(del_dia.into_iter().map(|f| Turno { franja: f.clone(), fecha }));
        }
        out
    }

    /// The window `id` names (`"<franja_id>@<YYYY-MM-DD>"`), if that
    /// franja exists and falls on that weekday.
    pub fn turno(&self, id: &TurnoId) -> Option<Turno> {
        let franja = self.franjas.iter().find(|f| f.id == id.franja_id)?;
        (franja.dia == id.fecha.weekday().number_from_monday())
            .then(|| Turno { franja: franja.clone(), fecha: id.fecha })
    }
}

/// A window's id as the checkout sends it back: `"<franja_id>@<YYYY-MM-DD>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnoId {
    pub franja_id: i64,
    pub fecha: NaiveDate,
}

impl TurnoId {
    pub fn parse(s: &str) -> Option<Self> {
        let (id, fecha) = s.trim().split_once('@')?;
        let franja_id = id.parse().ok().filter(|id| *id > 0)?;
        let fecha = NaiveDate::parse_from_str(fecha, "%Y-%m-%d").ok()?;
        Some(Self { franja_id, fecha })
    }
}

impl fmt::Display for TurnoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.franja_id, self.fecha.format("%Y-%m-%d"))
    }
}

/// A franja on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turno {
    pub franja: Franja,
    pub fecha: NaiveDate,
}

impl Turno {
    pub fn id(&self) -> TurnoId {
        TurnoId { franja_id: self.franja.id, fecha: self.fecha }
    }

    pub fn desde(&self) -> DateTime<FixedOffset> {
        hora::momento(self.fecha, self.franja.desde)
    }

    pub fn hasta(&self) -> DateTime<FixedOffset> {
        hora::momento(self.fecha, self.franja.hasta)
    }

    /// Closed: its cut-off (`corte_minutos` before it starts) has passed.
    pub fn cerrado(&self, now: DateTime<Utc>) -> bool {
        now >= self.desde() - Duration::minutes(self.franja.corte_minutos)
    }

    /// "jueves 3/12, de 15:00 a 18:00".
    pub fn etiqueta(&self) -> String {
        etiqueta(self.desde(), self.hasta())
    }
}

/// "jueves 3/12, de 15:00 a 18:00" for a window from `desde` to `hasta`.
pub fn etiqueta(desde: DateTime<FixedOffset>, hasta: DateTime<FixedOffset>) -> String {
    format!(
        "{} {}/{}, de {} a {}",
        hora::dia_semana(desde.date_naive()),
        desde.day(),
        desde.month(),
        desde.format("%H:%M"),
        hasta.format("%H:%M")
    )
}

/// What the order pays for delivery: free from the window's threshold.
pub fn costo_envio(zona: &Zona, franja: &Franja, subtotal: Centavos) -> Centavos {
    match franja.envio_gratis_desde {
        Some(gratis) if subtotal >= gratis => Centavos(0),
        _ => zona.costo_envio,
    }
}

/// A structured delivery address, validated (the barrio against the zones
/// happens where the zones are known).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Direccion {
    pub calle: String,
    pub altura: String,
    pub piso: String,
    pub entre_calles: String,
    pub barrio: String,
    pub codigo_postal: String,
    pub referencias: String,
}

impl Direccion {
    /// Validates each part; errors name `<prefix>.<part>` (`direccion.calle`).
    pub fn parse(raw: Direccion, prefix: &str) -> Result<Self, FieldError> {
        let f = |part: &str| format!("{prefix}.{part}");
        // In the forms' order, so the first error named is the first field at fault.
        let calle = usuario::text(&f("calle"), &raw.calle, true, 100)?;
        let altura = usuario::text(&f("altura"), &raw.altura, true, 10)?;
        if !altura.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '/') {
            return Err(FieldError::new(f("altura"), "debe ser un número (o S/N)"));
        }
        let codigo_postal = usuario::text(&f("codigo_postal"), &raw.codigo_postal, false, 10)?;
        if !codigo_postal.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(f("codigo_postal"), "admite sólo letras y números (C1428 o 1428)"));
        }
        Ok(Self {
            calle,
            altura,
            piso: usuario::text(&f("piso"), &raw.piso, false, 20)?,
            entre_calles: usuario::text(&f("entre_calles"), &raw.entre_calles, false, 200)?,
            barrio: usuario::text(&f("barrio"), &raw.barrio, true, 60)?,
            codigo_postal: codigo_postal.to_uppercase(),
            referencias: usuario::text(&f("referencias"), &raw.referencias, false, 300)?,
        })
    }

    /// One line for everything that reads the flat `direccion`:
    /// "Cabildo 1234, piso 3 B, entre Juramento y Mendoza, Belgrano (C1428). Ref.: timbre roto".
    pub fn una_linea(&self) -> String {
        let mut s = format!("{} {}", self.calle, self.altura);
        if !self.piso.is_empty() {
            s.push_str(&format!(", piso {}", self.piso));
        }
        if !self.entre_calles.is_empty() {
            s.push_str(&format!(", entre {}", self.entre_calles));
        }
        if !self.barrio.is_empty() {
            s.push_str(&format!(", {}", self.barrio));
        }
        if !self.codigo_postal.is_empty() {
            s.push_str(&format!(" ({})", self.codigo_postal));
        }
        if !self.referencias.is_empty() {
            s.push_str(&format!(". Ref.: {}", self.referencias));
        }
        s
    }
}

/// A saved address of an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DireccionGuardada {
    pub id: i64,
    #[serde(flatten)]
    pub direccion: Direccion,
}

/// Most saved addresses per account.
pub const MAX_DIRECCIONES: i64 = 10;

/// What an order stores of its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrega {
    pub barrio: String,
    pub subtotal: Centavos,
    pub costo_envio: Centavos,
    pub desde: DateTime<Utc>,
    pub hasta: DateTime<Utc>,
    /// `None` when the order came with a flat address text.
    pub direccion: Option<Direccion>,
}

impl Entrega {
    /// "jueves 3/12, de 15:00 a 18:00".
    pub fn franja_en_palabras(&self) -> String {
        etiqueta(hora::ba(self.desde), hora::ba(self.hasta))
    }

    pub fn costo_en_palabras(&self) -> String {
        if self.costo_envio.0 == 0 { "Envío gratis".to_owned() } else { self.costo_envio.format_ars() }
    }
}

/// Parses `HH:MM`.
pub fn hora_hhmm(field: &str, s: &str) -> Result<NaiveTime, FieldError> {
    let s = s.trim();
    if s.len() != 5 {
        return Err(FieldError::new(field, "debe ser una hora HH:MM"));
    }
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| FieldError::new(field, "debe ser una hora HH:MM"))
}

/// Checks the settings as a whole; errors name the field as in the JSON
/// (`zonas[2].minimo`, `franjas[0].hasta`).
pub fn validar(ajustes: &Ajustes) -> Result<(), FieldError> {
    if ajustes.zonas.is_empty() {
        return Err(FieldError::new("zonas", "debe haber al menos un barrio"));
    }
    if ajustes.zonas.len() > MAX_ZONAS {
        return Err(FieldError::new("zonas", format!("admite hasta {MAX_ZONAS} barrios")));
    }
    if ajustes.franjas.len() > MAX_FRANJAS {
        return Err(FieldError::new("franjas", format!("admite hasta {MAX_FRANJAS} franjas")));
    }
    for (i, z) in ajustes.zonas.iter().enumerate() {
        let key = super::catalogo::fold(&z.barrio);
        if ajustes.zonas[..i].iter().any(|o| super::catalogo::fold(&o.barrio) == key) {
            return Err(FieldError::new(format!("zonas[{i}].barrio"), "el barrio está repetido"));
        }
    }
    for (i, f) in ajustes.franjas.iter().enumerate() {
        if !(1..=7).contains(&f.dia) {
            return Err(FieldError::new(format!("franjas[{i}].dia"), "debe ser de 1 (lunes) a 7 (domingo)"));
        }
        if f.hasta <= f.desde {
            return Err(FieldError::new(format!("franjas[{i}].hasta"), "debe ser posterior a desde"));
        }
        if !(0..=MAX_CAPACIDAD).contains(&f.capacidad) {
            return Err(FieldError::new(format!("franjas[{i}].capacidad"), format!("debe ser de 0 a {MAX_CAPACIDAD}")));
        }
        if !(0..=MAX_CORTE_MINUTOS).contains(&f.corte_minutos) {
            return Err(FieldError::new(
                format!("franjas[{i}].corte_minutos"),
                format!("debe ser de 0 a {MAX_CORTE_MINUTOS}"),
            ));
        }
        let overlaps = ajustes.franjas[..i].iter().any(|o| o.dia == f.dia && o.desde < f.hasta && f.desde < o.hasta);
        if overlaps {
            return Err(FieldError::new(format!("franjas[{i}].desde"), "se superpone con otra franja del mismo día"));
        }
        if f.id != 0 && ajustes.franjas[..i].iter().any(|o| o.id == f.id) {
            return Err(FieldError::new(format!("franjas[{i}].id"), "el id está repetido"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turno_ids_round_trip() {
        let id = TurnoId::parse("3@2026-12-03").unwrap();
        assert_eq!(id.to_string(), "3@2026-12-03");
        assert!(TurnoId::parse("3").is_none());
        assert!(TurnoId::parse("0@2026-12-03").is_none());
        assert!(TurnoId::parse("3@2026-13-03").is_none());
    }

    #[test]
    fn one_line_address() {
        let d = Direccion {
            calle: "Cabildo".into(),
            altura: "1234".into(),
            piso: "3 B".into(),
            entre_calles: "Juramento y Mendoza".into(),
            barrio: "Belgrano".into(),
            codigo_postal: "C1428".into(),
            referencias: "timbre roto".into(),
        };
        assert_eq!(
            d.una_linea(),
            "Cabildo 1234, piso 3 B, entre Juramento y Mendoza, Belgrano (C1428). Ref.: timbre roto"
        );
    }
}

/// A window as the checkout offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opcion {
    pub turno: Turno,
    pub disponibles: i64,
    pub cerrado: bool,
}

impl Opcion {
    /// Can be chosen: open and with a place left.
    pub fn elegible(&self) -> bool {
        !self.cerrado && self.disponibles > 0
    }

    pub fn id(&self) -> String {
        self.turno.id().to_string()
    }

    pub fn etiqueta(&self) -> String {
        self.turno.etiqueta()
    }
}

impl Ajustes {
    /// The next [`DIAS_OFRECIDOS`] days' windows with the places left
    /// (`usados`: places taken per (franja, fecha)).
    pub fn opciones(
        &self,
        now: DateTime<Utc>,
        usados: &std::collections::HashMap<(i64, NaiveDate), i64>,
    ) -> Vec<Opcion> {
        self.turnos(now, DIAS_OFRECIDOS)
            .into_iter()
            .map(|turno| {
                let taken = usados.get(&(turno.franja.id, turno.fecha)).copied().unwrap_or(0);
                let cerrado = turno.cerrado(now);
                Opcion { disponibles: (turno.franja.capacidad - taken).max(0), cerrado, turno }
            })
            .collect()
    }

    /// The first and last date [`Ajustes::opciones`] covers.
    pub fn fechas(now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let hoy = hora::hoy(now);
        (hoy, hoy.checked_add_days(chrono::Days::new(u64::from(DIAS_OFRECIDOS))).unwrap_or(hoy))
    }
}
