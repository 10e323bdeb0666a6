//! A merchant's standing order (paquete): products and quantities, a
//! rhythm ([`Frecuencia`]), the next date it is placed, where it goes and
//! the window preferred. What a bundle becomes when placed (lines left
//! out, why nothing went) is [`Ejecucion`]. Dates are Buenos Aires dates.

use belgrano_contract::FieldError;
use chrono::{Days, Months, NaiveDate};

use super::carrito::MAX_CANTIDAD;
use super::entrega::Direccion;
use super::usuario;

/// Most products in one bundle, and most bundles per merchant.
pub const MAX_ITEMS: usize = 100;
pub const MAX_PAQUETES: i64 = 50;
/// How far ahead a first date may be set.
pub const MAX_DIAS_ADELANTE: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frecuencia {
    Semanal,
    Quincenal,
    Mensual,
}

impl Frecuencia {
    pub const ALL: [Frecuencia; 3] = [Frecuencia::Semanal, Frecuencia::Quincenal, Frecuencia::Mensual];

    pub fn as_str(self) -> &'static str {
        match self {
            Frecuencia::Semanal => "semanal",
            Frecuencia::Quincenal => "quincenal",
            Frecuencia::Mensual => "mensual",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Frecuencia::Semanal => "Cada semana",
            Frecuencia::Quincenal => "Cada 15 días",
            Frecuencia::Mensual => "Cada mes",
        }
    }

    /// The date one period after `fecha` (a month clamps to its last day).
    pub fn siguiente(self, fecha: NaiveDate) -> NaiveDate {
        let next = match self {
            Frecuencia::Semanal => fecha.checked_add_days(Days::new(7)),
            Frecuencia::Quincenal => fecha.checked_add_days(Days::new(14)),
            Frecuencia::Mensual => fecha.checked_add_months(Months::new(1)),
        };
        next.unwrap_or(fecha)
    }

    /// The first date on this rhythm from `programada` that is after
    /// `hoy`: where a bundle goes next once placed (after a long sleep,
    /// every missed period is skipped, not placed).
    pub fn proxima_despues(self, programada: NaiveDate, hoy: NaiveDate) -> NaiveDate {
        let mut next = self.siguiente(programada);
        while next <= hoy {
            let after = self.siguiente(next);
            if after == next {
                break;
            }
            next = after;
        }
        next
    }
}

impl std::str::FromStr for Frecuencia {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Frecuencia::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| "debe ser semanal, quincenal o mensual".to_owned())
    }
}

/// A bundle as stored.
#[derive(Debug, Clone)]
pub struct Paquete {
    pub id: i64,
    pub usuario_id: i64,
    pub nombre: String,
    pub frecuencia: Frecuencia,
    pub proxima_fecha: NaiveDate,
    /// The one-line address.
    pub direccion: String,
    /// `None` for a flat text.
    pub direccion_estructurada: Option<Direccion>,
    pub franja_id: Option<i64>,
    pub activo: bool,
    /// (producto_id, cantidad), in the merchant's order.
    pub items: Vec<(i64, i64)>,
}

/// A line as sent, as the checkout's: `None` where it is not an integer.
pub use super::checkout::ItemInput;

/// A bundle as typed (form or JSON), before validation.
#[derive(Debug, Clone, Default)]
pub struct PaqueteInput {
    pub nombre: String,
    pub frecuencia: String,
    pub items: Vec<ItemInput>,
    pub direccion: super::checkout::DireccionInput,
    /// Empty: none preferred.
    pub franja_id: String,
    /// `YYYY-MM-DD`; empty: one period from today.
    pub proxima_fecha: String,
}

/// A bundle validated (all but the products' existence and the franja's,
/// which the store knows).
#[derive(Debug, Clone)]
pub struct NuevoPaquete {
    pub nombre: String,
    pub frecuencia: Frecuencia,
    pub proxima_fecha: NaiveDate,
    pub direccion: String,
    pub direccion_estructurada: Option<Direccion>,
    pub franja_id: Option<i64>,
    pub items: Vec<(i64, i64)>,
}

impl NuevoPaquete {
    /// Field names follow the JSON API (`items[0].cantidad`).
    pub fn parse(input: PaqueteInput, hoy: NaiveDate) -> Result<Self, FieldError> {
        let nombre = usuario::text("nombre", &input.nombre, true, 100)?;
        let frecuencia: Frecuencia = input.frecuencia.trim().parse().map_err(|e| FieldError::new("frecuencia", e))?;
        let (direccion, direccion_estructurada) = match input.direccion {
            super::checkout::DireccionInput::Texto(t) => (usuario::text("direccion", &t, true, 300)?, None),
            super::checkout::DireccionInput::Estructurada(d) => {
                let d = Direccion::parse(d, "direccion")?;
                (d.una_linea(), Some(d))
            }
        };
        let franja_id = match input.franja_id.trim() {
            "" => None,
            raw => Some(
                raw.parse::<i64>()
                    .ok()
                    // A JSON number without fraction (2.0) is an integer.
                    .or_else(|| {
                        raw.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64)
                    })
                    .filter(|id| *id > 0)
                    .ok_or_else(|| FieldError::new("franja_id", "debe ser el id de una franja de entrega"))?,
            ),
        };
        let proxima_fecha = match input.proxima_fecha.trim() {
            "" => frecuencia.siguiente(hoy),
            raw => {
                let fecha = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()
                    .filter(|_| raw.len() == 10)
                    .ok_or_else(|| FieldError::new("proxima_fecha", "debe ser una fecha AAAA-MM-DD"))?;
                if fecha < hoy {
                    return Err(FieldError::new("proxima_fecha", "no puede ser anterior a hoy"));
                }
                if (fecha - hoy).num_days() > MAX_DIAS_ADELANTE {
                    return Err(FieldError::new("proxima_fecha", "debe ser dentro del próximo año"));
                }
                fecha
            }
        };
        if input.items.is_empty() {
            return Err(FieldError::new("items", "el paquete necesita al menos un producto"));
        }
        if input.items.len() > MAX_ITEMS {
            return Err(FieldError::new("items", format!("admite hasta {MAX_ITEMS} productos distintos")));
        }
        let mut items: Vec<(i64, i64)> = Vec::with_capacity(input.items.len());
        for (i, item) in input.items.iter().enumerate() {
            let id = item
                .producto_id
                .filter(|id| *id > 0)
                .ok_or_else(|| FieldError::new(format!("items[{i}].producto_id"), "debe ser un id de producto"))?;
            let cantidad = item.cantidad.filter(|q| (1..=MAX_CANTIDAD).contains(q)).ok_or_else(|| {
                FieldError::new(format!("items[{i}].cantidad"), format!("debe ser un entero entre 1 y {MAX_CANTIDAD}"))
            })?;
            match items.iter_mut().find(|(p, _)| *p == id) {
                Some((_, q)) => *q = (*q + cantidad).min(MAX_CANTIDAD),
                None => items.push((id, cantidad)),
            }
        }
        Ok(Self { nombre, frecuencia, proxima_fecha, direccion, direccion_estructurada, franja_id, items })
    }
}

/// A line that did not go, and why ("sin stock", "ya no se vende").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Omitido {
    pub nombre: String,
    pub motivo: String,
}

/// What placing a bundle did.
#[derive(Debug, Clone)]
pub struct Ejecucion {
    pub paquete_id: i64,
    /// The date it was due (today for "Pedir ahora").
    pub programada: NaiveDate,
    /// The order, `None` when nothing could go.
    pub pedido_numero: Option<String>,
    pub omitidos: Vec<Omitido>,
    /// Why nothing went.
    pub motivo: Option<String>,
    /// Where the bundle's next date moved (scheduled runs).
    pub proxima_fecha: Option<NaiveDate>,
}

/// An execution as listed on the page.
#[derive(Debug, Clone)]
pub struct EjecucionGuardada {
    pub paquete_id: i64,
    pub fecha_programada: String,
    pub origen: String,
    pub pedido_numero: Option<String>,
    pub omitidos: Vec<Omitido>,
    pub motivo: Option<String>,
}

/// "jueves 10/12/2026".
pub fn fecha_en_palabras(fecha: NaiveDate) -> String {
    format!("{} {}", super::hora::dia_semana(fecha), fecha.format("%d/%m/%Y"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkout::DireccionInput;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rhythms_and_a_long_sleep() {
        assert_eq!(Frecuencia::Semanal.siguiente(d("2026-12-02")), d("2026-12-09"));
        assert_eq!(Frecuencia::Quincenal.siguiente(d("2026-12-02")), d("2026-12-16"));
        assert_eq!(Frecuencia::Mensual.siguiente(d("2026-01-31")), d("2026-02-28"));
        // Due on the 2nd, woken on the 30th: next is the first weekly date after today.
        assert_eq!(
            Frecuencia::Semanal.proxima_despues(d("2026-12-02"), d("2026-12-30")),
            d("2026-12-30") + Days::new(7)
        );
        assert_eq!(Frecuencia::Semanal.proxima_despues(d("2026-12-02"), d("2026-12-02")), d("2026-12-09"));
    }

    #[test]
    fn names_the_field_at_fault() {
        let hoy = d("2026-12-02");
        let ok = || PaqueteInput {
            nombre: "Kiosco".into(),
            frecuencia: "semanal".into(),
            items: vec![ItemInput { producto_id: Some(1), cantidad: Some(2) }],
            direccion: DireccionInput::Texto("Cabildo 1234".into()),
            ..Default::default()
        };
        let p = NuevoPaquete::parse(ok(), hoy).unwrap();
        assert_eq!(p.proxima_fecha, d("2026-12-09"));
        let err = |f: fn(&mut PaqueteInput)| {
            let mut i = ok();
            f(&mut i);
            NuevoPaquete::parse(i, hoy).unwrap_err().field
        };
        assert_eq!(err(|i| i.frecuencia = "diaria".into()), "frecuencia");
        assert_eq!(err(|i| i.proxima_fecha = "2026-12-01".into()), "proxima_fecha");
        assert_eq!(err(|i| i.proxima_fecha = "2026-13-01".into()), "proxima_fecha");
        assert_eq!(err(|i| i.proxima_fecha = "99999-01-01".into()), "proxima_fecha");
        assert_eq!(err(|i| i.items[0].cantidad = Some(1000)), "items[0].cantidad");
        assert_eq!(err(|i| i.items[0].producto_id = None), "items[0].producto_id");
        assert_eq!(err(|i| i.items.clear()), "items");
        assert_eq!(err(|i| i.franja_id = "x".into()), "franja_id");
        assert_eq!(err(|i| i.direccion = DireccionInput::Texto(" ".into())), "direccion");
    }
}
