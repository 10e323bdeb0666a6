//! The intake contract: what Ahorro (or any old client) posts to
//! `POST /api/tickets`, and what Tickets answers.
//!
//! Parsing is lenient about shape where real clients differ (products as
//! objects or as plain strings, extra top-level fields, `null` for absent)
//! and strict about values: every rejection names its field.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::estado::{Estado, MetodoPago, Prioridad, TipoCliente};
use crate::money::Centavos;
use crate::validation::{FieldError, check_email, check_text};

/// Longest accepted order number.
pub const NUMERO_MAX_LEN: usize = 64;
/// Most product lines in one ticket.
pub const PRODUCTOS_MAX: usize = 500;
/// Longest product name.
pub const PRODUCTO_NOMBRE_MAX: usize = 300;
/// Largest amount of one product line.
pub const CANTIDAD_MAX: u64 = 100_000;

/// An order number: 1 to 64 letters, digits, `-` or `_`. It is the
/// idempotency key of intake.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Numero(String);

impl Numero {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("no puede estar vacío".into());
        }
        if raw.chars().count() > NUMERO_MAX_LEN {
            return Err(format!("no puede superar {NUMERO_MAX_LEN} caracteres"));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err("solo admite letras, dígitos, '-' y '_'".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Numero {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Numero::parse(&s)
    }
}

impl From<Numero> for String {
    fn from(n: Numero) -> String {
        n.0
    }
}

impl std::fmt::Display for Numero {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One product line. Old clients sometimes send just `"Producto A x2"`;
/// that becomes `{nombre: "Producto A", cantidad: 2}`. Extra keys a client
/// sends (`sucursal`, `negocio`, ...) are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Producto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub nombre: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precio: Option<f64>,
    pub cantidad: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<f64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Producto {
    /// `"Producto A x2"` → (`Producto A`, 2); without a suffix the amount
    /// is 1. The same limits as a product object: a name of at most
    /// [`PRODUCTO_NOMBRE_MAX`] characters, an amount from 1 to
    /// [`CANTIDAD_MAX`].
    fn from_label(label: &str, field: &str) -> Result<Self, FieldError> {
        let label = label.trim();
        if label.is_empty() {
            return Err(FieldError::new(field, "no puede estar vacío"));
        }
        let (nombre, cantidad) = match label.rsplit_once(" x") {
            Some((name, n)) if !name.trim().is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                (name.trim(), cantidad(n.parse::<u64>().ok(), &format!("{field}.cantidad"))?)
            }
            _ => (label, 1),
        };
        let nombre = bounded(&format!("{field}.nombre"), nombre.to_owned(), PRODUCTO_NOMBRE_MAX)?;
        Ok(Self { id: None, nombre, precio: None, cantidad, subtotal: None, extra: Map::new() })
    }
}

/// A validated intake request. Build it with [`NuevoTicket::from_json`]
/// (Tickets) or directly (Ahorro); it serialises to the seed's step-2 body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NuevoTicket {
    pub numero: Numero,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    pub cliente_telefono: Option<String>,
    pub cliente_email: Option<String>,
    pub productos: Vec<Producto>,
    #[serde(serialize_with = "serialize_pesos")]
    pub total: Centavos,
    pub metodo_pago: Option<MetodoPago>,
    pub indicaciones: Option<String>,
    /// New tickets always start `pendiente`; kept for the wire shape.
    pub estado: Estado,
    pub prioridad: Prioridad,
    pub tipo_cliente: TipoCliente,
    /// Where and when to deliver (optional: old clients send none, and a
    /// ticket without it keeps its old fingerprint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrega: Option<EntregaTicket>,
    /// What to collect on delivery (optional, as `entrega`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cobro: Option<Cobro>,
}

/// The delivery of a ticket: the barrio, the window (ISO 8601 with the
/// offset it was chosen in, `2026-12-03T15:00:00-03:00`) and what the
/// customer pays for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntregaTicket {
    pub barrio: String,
    pub franja: FranjaTicket,
    #[serde(serialize_with = "serialize_pesos", deserialize_with = "deserialize_pesos")]
    pub costo_envio: Centavos,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FranjaTicket {
    #[serde(with = "con_offset")]
    pub desde: DateTime<FixedOffset>,
    #[serde(with = "con_offset")]
    pub hasta: DateTime<FixedOffset>,
}

/// What the courier collects: the method, the amount, and for cash what
/// the customer pays with and the change to bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cobro {
    pub metodo: MetodoPago,
    #[serde(serialize_with = "serialize_pesos", deserialize_with = "deserialize_pesos")]
    pub monto: Centavos,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_pesos_opt",
        deserialize_with = "deserialize_pesos_opt"
    )]
    pub paga_con: Option<Centavos>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_pesos_opt",
        deserialize_with = "deserialize_pesos_opt"
    )]
    pub vuelto: Option<Centavos>,
}

fn deserialize_pesos<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Centavos, D::Error> {
    let pesos = f64::deserialize(d)?;
    Centavos::from_pesos(pesos).ok_or_else(|| serde::de::Error::custom("importe inválido"))
}

fn serialize_pesos_opt<S: serde::Serializer>(c: &Option<Centavos>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_f64(c.pesos()),
        None => s.serialize_none(),
    }
}

fn deserialize_pesos_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Centavos>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(p) => Centavos::from_pesos(p).map(Some).ok_or_else(|| serde::de::Error::custom("importe inválido")),
    }
}

/// ISO 8601 keeping the offset (`2026-12-03T15:00:00-03:00`).
pub mod con_offset {
    use chrono::{DateTime, FixedOffset, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let raw = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| serde::de::Error::custom("fecha ISO 8601 inválida"))
    }
}

fn importe(field: &str, v: &Value) -> Result<Centavos, FieldError> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Centavos::from_pesos)
            .ok_or_else(|| FieldError::new(field, "debe ser un importe entre 0 y 1000000000")),
        _ => Err(FieldError::new(field, "debe ser un número")),
    }
}

fn fecha_con_offset(field: &str, v: Option<&Value>) -> Result<DateTime<FixedOffset>, FieldError> {
    match v {
        None | Some(Value::Null) => Err(FieldError::new(field, "es obligatorio")),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| FieldError::new(field, "debe ser una fecha ISO 8601 (2026-12-03T15:00:00-03:00)")),
        Some(_) => Err(FieldError::new(field, "debe ser un texto")),
    }
}

/// `entrega`, leniently: absent or `null` is none; otherwise every value
/// is checked and errors name `entrega.<campo>`.
fn parse_entrega(v: Option<&Value>) -> Result<Option<EntregaTicket>, FieldError> {
    let obj = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(FieldError::new("entrega", "debe ser un objeto")),
    };
    let barrio = match obj.get("barrio") {
        Some(Value::String(s)) if !s.trim().is_empty() => bounded("entrega.barrio", s.trim().to_owned(), 100)?,
        None | Some(Value::Null) => return Err(FieldError::new("entrega.barrio", "es obligatorio")),
        Some(Value::String(_)) => return Err(FieldError::new("entrega.barrio", "no puede estar vacío")),
        Some(_) => return Err(FieldError::new("entrega.barrio", "debe ser un texto")),
    };
    let franja = match obj.get("franja") {
        Some(Value::Object(f)) => {
            let desde = fecha_con_offset("entrega.franja.desde", f.get("desde"))?;
            let hasta = fecha_con_offset("entrega.franja.hasta", f.get("hasta"))?;
            if hasta <= desde {
                return Err(FieldError::new("entrega.franja.hasta", "debe ser posterior a desde"));
            }
            FranjaTicket { desde, hasta }
        }
        None | Some(Value::Null) => return Err(FieldError::new("entrega.franja", "es obligatorio")),
        Some(_) => return Err(FieldError::new("entrega.franja", "debe ser un objeto {desde, hasta}")),
    };
    let costo_envio = match obj.get("costo_envio") {
        None | Some(Value::Null) => Centavos(0),
        Some(v) => importe("entrega.costo_envio", v)?,
    };
    Ok(Some(EntregaTicket { barrio, franja, costo_envio }))
}

/// `cobro`, leniently as [`parse_entrega`].
fn parse_cobro(v: Option<&Value>, total: Centavos) -> Result<Option<Cobro>, FieldError> {
    let obj = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(FieldError::new("cobro", "debe ser un objeto")),
    };
    let f = Fields(obj);
    let metodo = match f.optional_enum::<MetodoPago>("metodo") {
        Ok(Some(m)) => m,
        Ok(None) => return Err(FieldError::new("cobro.metodo", "es obligatorio")),
        Err(e) => return Err(FieldError::new("cobro.metodo", e.message)),
    };
    let monto = match f.get("monto") {
        None => total,
        Some(v) => importe("cobro.monto", v)?,
    };
    let paga_con = f.get("paga_con").map(|v| importe("cobro.paga_con", v)).transpose()?;
    if paga_con.is_some_and(|p| p < monto) {
        return Err(FieldError::new("cobro.paga_con", "no puede ser menor que el monto"));
    }
    let vuelto = f.get("vuelto").map(|v| importe("cobro.vuelto", v)).transpose()?;
    Ok(Some(Cobro { metodo, monto, paga_con, vuelto }))
}

fn serialize_pesos<S: serde::Serializer>(c: &Centavos, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(c.pesos())
}

impl NuevoTicket {
    /// Parses and validates a raw JSON body. Unknown top-level fields
    /// (`fecha_creacion`, `origen`, ...) are ignored.
    pub fn from_json(body: &Value) -> Result<Self, FieldError> {
        let obj = body.as_object().ok_or_else(|| FieldError::new("body", "se espera un objeto JSON"))?;
        let f = Fields(obj);

        let numero = Numero::parse(&f.required_str("numero")?).map_err(|e| FieldError::new("numero", e))?;
        let cliente_nombre = f.required_str("cliente_nombre")?;
        let cliente_nombre = bounded("cliente_nombre", cliente_nombre, 200)?;
        let total = match f.get("total") {
            None => return Err(FieldError::new("total", "es obligatorio")),
            Some(Value::Number(n)) => n
                .as_f64()
                .and_then(Centavos::from_pesos)
                .ok_or_else(|| FieldError::new("total", "debe ser un importe entre 0 y 1000000000"))?,
            Some(_) => return Err(FieldError::new("total", "debe ser un número")),
        };

        let tipo_cliente = f.optional_enum::<TipoCliente>("tipo_cliente")?.unwrap_or(TipoCliente::Cliente);
        let prioridad = f.optional_enum::<Prioridad>("prioridad")?.unwrap_or(Prioridad::Normal);
        let prioridad = tipo_cliente.forced_prioridad().unwrap_or(prioridad);
        match f.optional_enum::<Estado>("estado")? {
            None | Some(Estado::Pendiente) => {}
            Some(other) => {
                return Err(FieldError::new(
                    "estado",
                    format!("un ticket nuevo empieza en 'pendiente', no en '{other}'"),
                ));
            }
        }

        // The old intake's names (`direccion`, `telefono`, `email`, `notas`)
        // still count: the seed's name wins when both carry a value, and
        // both are checked whenever sent, so an error names the field at
        // fault and nothing invalid is silently ignored.
        let either = |seed: &'static str, old: &'static str, max: usize| -> Result<_, FieldError> {
            let from_seed = f.optional_str(seed, max)?.map(|v| (seed, v));
            let from_old = f.optional_str(old, max)?.map(|v| (old, v));
            Ok(from_seed.or(from_old))
        };
        let cliente_email = match either("cliente_email", "email", 254)? {
            Some((field, email)) if check_email(&email).is_err() => {
                return Err(FieldError::new(field, "no es un email válido"));
            }
            found => found.map(|(_, email)| email),
        };
        let text = |seed, old, max| either(seed, old, max).map(|found| found.map(|(_, v)| v));

        Ok(Self {
            numero,
            cliente_nombre,
            cliente_direccion: text("cliente_direccion", "direccion", 500)?,
            cliente_telefono: text("cliente_telefono", "telefono", 50)?,
            cliente_email,
            productos: parse_productos(f.get("productos"))?,
            total,
            metodo_pago: f.optional_enum::<MetodoPago>("metodo_pago")?,
            indicaciones: text("indicaciones", "notas", 2000)?,
            estado: Estado::Pendiente,
            prioridad,
            tipo_cliente,
            entrega: parse_entrega(f.get("entrega"))?,
            cobro: parse_cobro(f.get("cobro"), total)?,
        })
    }

    /// A digest of everything that defines the ticket. Two posts with the
    /// same `numero` are the same order only if their fingerprints match.
    pub fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("a ticket always serialises");
        hex::encode(Sha256::digest(&bytes))
    }
}

fn parse_productos(value: Option<&Value>) -> Result<Vec<Producto>, FieldError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(FieldError::new("productos", "debe ser una lista")),
    };
    if items.len() > PRODUCTOS_MAX {
        return Err(FieldError::new("productos", format!("admite hasta {PRODUCTOS_MAX} productos")));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("productos[{i}]");
            match item {
                Value::String(label) => Producto::from_label(label, &field),
                Value::Object(map) => parse_producto_object(map, &field),
                _ => Err(FieldError::new(field, "debe ser un objeto o un texto")),
            }
        })
        .collect()
}

fn parse_producto_object(map: &Map<String, Value>, field: &str) -> Result<Producto, FieldError> {
    let err = |key: &str, msg: &str| FieldError::new(format!("{field}.{key}"), msg);
    let mut extra = map.clone();
    let id = extra.remove("id").filter(|v| !v.is_null());
    if id.as_ref().is_some_and(|id| !(id.is_string() || id.is_u64() || id.is_i64())) {
        return Err(err("id", "debe ser un número o un texto"));
    }
    let nombre = match extra.remove("nombre") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            bounded(&format!("{field}.nombre"), s.trim().to_owned(), PRODUCTO_NOMBRE_MAX)?
        }
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(err("nombre", "es obligatorio")),
        Some(_) => return Err(err("nombre", "debe ser un texto")),
    };
    let amount = |key: &str, v: Option<Value>| -> Result<Option<f64>, FieldError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                _ => Err(err(key, "debe ser un importe no negativo")),
            },
            Some(_) => Err(err(key, "debe ser un número")),
        }
    };
    let precio = amount("precio", extra.remove("precio"))?;
    let subtotal = amount("subtotal", extra.remove("subtotal"))?;
    let cantidad = match extra.remove("cantidad") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => cantidad(n.as_u64(), &format!("{field}.cantidad"))?,
        Some(_) => return Err(err("cantidad", "debe ser un número entero")),
    };
    if let Some(Value::String(id)) = &id {
        check_text(&format!("{field}.id"), id)?;
    }
    for (key, value) in &extra {
        check_json_text(&format!("{field}.{key}"), key, value)?;
    }
    Ok(Producto { id, nombre, precio, cantidad, subtotal, extra })
}

/// An amount from 1 to [`CANTIDAD_MAX`].
fn cantidad(raw: Option<u64>, field: &str) -> Result<u32, FieldError> {
    match raw {
        Some(q) if (1..=CANTIDAD_MAX).contains(&q) => Ok(q as u32),
        _ => Err(FieldError::new(field, format!("debe ser un entero entre 1 y {CANTIDAD_MAX}"))),
    }
}

/// A text of at most `max` characters that may be stored ([`check_text`]).
fn bounded(field: &str, value: String, max: usize) -> Result<String, FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("no puede superar {max} caracteres")));
    }
    check_text(field, &value)?;
    Ok(value)
}

/// Every text inside a JSON value (keys too) passes [`check_text`]: the
/// extra keys of a product line are stored as they came.
fn check_json_text(field: &str, key: &str, value: &Value) -> Result<(), FieldError> {
    check_text(field, key)?;
    match value {
        Value::String(s) => check_text(field, s),
        Value::Array(items) => items.iter().try_for_each(|v| check_json_text(field, "", v)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| check_json_text(field, k, v)),
        _ => Ok(()),
    }
}

/// Typed access to the fields of a JSON object, `null` meaning absent.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn required_str(&self, key: &str) -> Result<String, FieldError> {
        match self.get(key) {
            None => Err(FieldError::new(key, "es obligatorio")),
            Some(Value::String(s)) if s.trim().is_empty() => Err(FieldError::new(key, "no puede estar vacío")),
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            Some(_) => Err(FieldError::new(key, "debe ser un texto")),
        }
    }

    /// A trimmed string; empty counts as absent.
    fn optional_str(&self, key: &str, max: usize) -> Result<Option<String>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => bounded(key, s.trim().to_owned(), max).map(Some),
            Some(_) => Err(FieldError::new(key, "debe ser un texto")),
        }
    }

    fn optional_enum<T: std::str::FromStr<Err = String>>(&self, key: &str) -> Result<Option<T>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|e| FieldError::new(key, e)),
            Some(_) => Err(FieldError::new(key, "debe ser un texto")),
        }
    }
}

/// Timestamps on the wire: ISO 8601 in UTC, to the second (`2024-12-01T12:34:56Z`).
pub fn iso8601(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Serde helpers for [`iso8601`] fields.
pub mod fecha {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::iso8601(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse_fecha(&raw).ok_or_else(|| serde::de::Error::custom("fecha ISO 8601 inválida"))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&super::super::iso8601(*at)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(raw) => super::super::parse_fecha(&raw)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("fecha ISO 8601 inválida")),
            }
        }
    }
}

/// Reads an ISO 8601 timestamp, with or without offset (no offset = UTC,
/// as the old system wrote them).
pub fn parse_fecha(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|naive| naive.and_utc())
}

/// The answer to a successful intake: exactly the seed's step-5 fields, plus
/// `"idempotent": true` when the ticket already existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketCreado {
    pub exito: bool,
    pub ticket_id: i64,
    pub numero: String,
    pub estado: Estado,
    pub repartidor_asignado: Option<String>,
    #[serde(with = "fecha")]
    pub fecha_creacion: DateTime<Utc>,
    pub cliente_nombre: String,
    pub total: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
}

/// A ticket as the read API returns it: every stored field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub numero: String,
    pub cliente_nombre: String,
    pub cliente_direccion: Option<String>,
    pub cliente_telefono: Option<String>,
    pub cliente_email: Option<String>,
    pub productos: Vec<Producto>,
    pub total: f64,
    pub metodo_pago: Option<MetodoPago>,
    pub estado: Estado,
    pub prioridad: Prioridad,
    pub indicaciones: Option<String>,
    pub tipo_cliente: TipoCliente,
    /// The courier's display name (`null` while unassigned).
    pub repartidor: Option<String>,
    pub repartidor_id: Option<i64>,
    pub notas_repartidor: Option<String>,
    pub motivo_cancelacion: Option<String>,
    /// Grows by one with every change; a receiver keeps the highest it saw.
    pub version: i64,
    #[serde(with = "fecha")]
    pub fecha_creacion: DateTime<Utc>,
    #[serde(with = "fecha::option")]
    pub fecha_asignacion: Option<DateTime<Utc>>,
    #[serde(with = "fecha::option")]
    pub fecha_en_camino: Option<DateTime<Utc>>,
    #[serde(with = "fecha::option")]
    pub fecha_entrega: Option<DateTime<Utc>>,
    #[serde(with = "fecha")]
    pub fecha_actualizacion: DateTime<Utc>,
    /// Window, barrio and delivery cost, for tickets that came with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrega: Option<EntregaTicket>,
    /// What to collect, for tickets that came with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cobro: Option<Cobro>,
    /// Failed delivery attempts (each sent the ticket back to dispatch).
    #[serde(default)]
    pub intentos_fallidos: u32,
    /// The reason of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motivo_intento: Option<String>,
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_old_intake_names_are_fallbacks() {
        let old = serde_json::json!({"numero": "PED-1", "cliente_nombre": "Ana", "total": 10.0,
            "direccion": " Av. Cabildo 1 ", "telefono": "011-4444-0000", "email": "ana@example.com", "notas": "Timbre 2"});
        let t = NuevoTicket::from_json(&old).unwrap();
        assert_eq!(t.cliente_direccion.as_deref(), Some("Av. Cabildo 1"));
        assert_eq!(t.cliente_telefono.as_deref(), Some("011-4444-0000"));
        assert_eq!(t.cliente_email.as_deref(), Some("ana@example.com"));
        assert_eq!(t.indicaciones.as_deref(), Some("Timbre 2"));
        // The seed's name wins when both are sent.
        let mut both = old.clone();
        for (seed, value) in [
            ("cliente_direccion", "Juramento 2"),
            ("cliente_telefono", "011-3333-0000"),
            ("cliente_email", "otra@example.com"),
            ("indicaciones", "Piso 3"),
        ] {
            both[seed] = serde_json::json!(value);
        }
        let t = NuevoTicket::from_json(&both).unwrap();
        assert_eq!(t.cliente_direccion.as_deref(), Some("Juramento 2"));
        assert_eq!(t.cliente_telefono.as_deref(), Some("011-3333-0000"));
        assert_eq!(t.cliente_email.as_deref(), Some("otra@example.com"));
        assert_eq!(t.indicaciones.as_deref(), Some("Piso 3"));
        // Same rules, and the error names the field that was sent.
        for (field, bad) in [
            ("direccion", serde_json::json!("a".repeat(501))),
            ("telefono", serde_json::json!(5)),
            ("email", serde_json::json!("no-es-un-email")),
            ("notas", serde_json::json!("a".repeat(2001))),
        ] {
            let mut body = old.clone();
            body[field] = bad;
            assert_eq!(NuevoTicket::from_json(&body).unwrap_err().field, field);
        }
        let mut seed_wins = old.clone();
        seed_wins["cliente_email"] = serde_json::json!("mal");
        assert_eq!(NuevoTicket::from_json(&seed_wins).unwrap_err().field, "cliente_email");
        // An empty seed name carries nothing: the old name's value is kept.
        let mut empty_seed = old;
        empty_seed["indicaciones"] = serde_json::json!("");
        assert_eq!(NuevoTicket::from_json(&empty_seed).unwrap().indicaciones.as_deref(), Some("Timbre 2"));
        // An old name that could not be stored is refused even beside the
        // seed's (schemathesis found it accepted and ignored).
        let mut both_bad = both;
        both_bad["notas"] = serde_json::json!("\u{84}");
        assert_eq!(NuevoTicket::from_json(&both_bad).unwrap_err().field, "notas");
    }

    #[test]
    fn entrega_and_cobro_are_optional_typed_and_named_on_error() {
        let base = serde_json::json!({"numero": "PED-1", "cliente_nombre": "Ana", "total": 10050.0});
        let old = NuevoTicket::from_json(&base).unwrap();
        assert!(old.entrega.is_none() && old.cobro.is_none());
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("entrega") && !text.contains("cobro"), "old tickets serialise as before: {text}");
        let mut full = base;
        full["entrega"] = serde_json::json!({"barrio": "Belgrano", "costo_envio": 1500.0,
            "franja": {"desde": "2026-12-03T15:00:00-03:00", "hasta": "2026-12-03T18:00:00-03:00"}});
        full["cobro"] =
            serde_json::json!({"metodo": "efectivo", "monto": 10050.0, "paga_con": 11000.0, "vuelto": 950.0});
        let t = NuevoTicket::from_json(&full).unwrap();
        assert_eq!(t.entrega.as_ref().unwrap().costo_envio, Centavos(150_000));
        assert_ne!(t.fingerprint(), old.fingerprint());
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["entrega"], full["entrega"]);
        assert_eq!(back["cobro"], full["cobro"]);
        let field = |edit: &dyn Fn(&mut Value)| {
            let mut body = full.clone();
            edit(&mut body);
            NuevoTicket::from_json(&body).unwrap_err().field
        };
        assert_eq!(field(&|b| b["entrega"] = serde_json::json!("Belgrano")), "entrega");
        assert_eq!(field(&|b| b["entrega"]["barrio"] = serde_json::json!(" ")), "entrega.barrio");
        assert_eq!(field(&|b| b["entrega"]["franja"]["desde"] = serde_json::json!("mañana")), "entrega.franja.desde");
        assert_eq!(
            field(&|b| b["entrega"]["franja"]["hasta"] = serde_json::json!("2026-12-03T14:00:00-03:00")),
            "entrega.franja.hasta"
        );
        assert_eq!(field(&|b| b["entrega"]["costo_envio"] = serde_json::json!(-1)), "entrega.costo_envio");
        assert_eq!(field(&|b| b["cobro"]["metodo"] = serde_json::json!("bitcoin")), "cobro.metodo");
        assert_eq!(field(&|b| b["cobro"]["paga_con"] = serde_json::json!(100.0)), "cobro.paga_con");
    }

    use super::*;
    use serde_json::json;

    fn seed_body() -> Value {
        json!({
            "numero": "PED-20241201123456",
            "cliente_nombre": "Juan Pérez",
            "cliente_direccion": "Av. Cabildo 1234",
            "cliente_telefono": "011-5555-1234",
            "cliente_email": "juan@example.com",
            "productos": [
                {"id": 1, "nombre": "Arroz 1kg", "precio": 950, "cantidad": 2, "subtotal": 1900, "sucursal": "centro", "negocio": "belgrano_ahorro"}
            ],
            "total": 1900.0,
            "metodo_pago": "efectivo",
            "indicaciones": "Timbre 3B",
            "estado": "pendiente",
            "prioridad": "normal",
            "tipo_cliente": "cliente",
            "fecha_creacion": "2024-12-01T12:34:56",
            "origen": "belgrano_ahorro"
        })
    }

    #[test]
    fn accepts_the_seed_body_and_keeps_extra_product_keys() {
        let t = NuevoTicket::from_json(&seed_body()).unwrap();
        assert_eq!(t.numero.as_str(), "PED-20241201123456");
        assert_eq!(t.total, Centavos(190_000));
        assert_eq!(t.productos[0].cantidad, 2);
        assert_eq!(t.productos[0].extra["sucursal"], "centro");
        assert_eq!(t.metodo_pago, Some(MetodoPago::Efectivo));
    }

    #[test]
    fn serialises_back_to_a_body_it_accepts() {
        let t = NuevoTicket::from_json(&seed_body()).unwrap();
        let again = NuevoTicket::from_json(&serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(t, again);
        assert_eq!(t.fingerprint(), again.fingerprint());
    }

    #[test]
    fn accepts_products_as_strings_and_a_minimal_body() {
        let t = NuevoTicket::from_json(&json!({
            "numero": "A-1", "cliente_nombre": "Ana", "total": 10,
            "productos": ["Producto A x2", "Pan"]
        }))
        .unwrap();
        assert_eq!(t.productos[0].nombre, "Producto A");
        assert_eq!(t.productos[0].cantidad, 2);
        assert_eq!(t.productos[1].nombre, "Pan");
        assert_eq!(t.productos[1].cantidad, 1);
        assert_eq!(t.prioridad, Prioridad::Normal);
    }

    #[test]
    fn merchants_are_urgent() {
        let mut body = seed_body();
        body["tipo_cliente"] = json!("comerciante");
        body["prioridad"] = json!("baja");
        assert_eq!(NuevoTicket::from_json(&body).unwrap().prioridad, Prioridad::Alta);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (json!({"cliente_nombre": "A", "total": 1}), "numero"),
            (json!({"numero": "X", "total": 1}), "cliente_nombre"),
            (json!({"numero": "X", "cliente_nombre": "A"}), "total"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": -1}), "total"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": "mucho"}), "total"),
            (json!({"numero": "X".repeat(65), "cliente_nombre": "A", "total": 1}), "numero"),
            (json!({"numero": "PED 1", "cliente_nombre": "A", "total": 1}), "numero"),
            (json!({"numero": "PED;1", "cliente_nombre": "A", "total": 1}), "numero"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": 1, "estado": "volando"}), "estado"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": 1, "prioridad": "urgente"}), "prioridad"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": 1, "metodo_pago": "bitcoin"}), "metodo_pago"),
            (json!({"numero": "X", "cliente_nombre": "A", "total": 1, "productos": "pan"}), "productos"),
            (
                json!({"numero": "X", "cliente_nombre": "A", "total": 1, "productos": [{"nombre": "pan", "cantidad": 0}]}),
                "productos[0].cantidad",
            ),
            (
                json!({"numero": "X", "cliente_nombre": "A", "total": 1, "productos": [{"precio": 1}]}),
                "productos[0].nombre",
            ),
            (json!([1, 2]), "body"),
        ];
        for (body, field) in cases {
            let err = NuevoTicket::from_json(&body).unwrap_err();
            assert_eq!(err.field, field, "{body}");
        }
        assert!(NuevoTicket::from_json(&json!({"numero": "X".repeat(64), "cliente_nombre": "A", "total": 0})).is_ok());
    }

    #[test]
    fn every_form_of_a_product_has_the_same_limits() {
        let body = |productos: Value| json!({"numero": "X", "cliente_nombre": "A", "total": 1, "productos": productos});
        let field_of = |productos: Value| NuevoTicket::from_json(&body(productos)).unwrap_err().field;
        assert_eq!(field_of(json!([format!("{} x2", "a".repeat(301))])), "productos[0].nombre");
        assert_eq!(field_of(json!([{"nombre": "a".repeat(301)}])), "productos[0].nombre");
        assert_eq!(field_of(json!(["Pan x999999"])), "productos[0].cantidad");
        assert_eq!(field_of(json!([{"nombre": "Pan", "cantidad": 999_999}])), "productos[0].cantidad");
        assert_eq!(field_of(json!(["Pan x0"])), "productos[0].cantidad");
        assert_eq!(field_of(json!(["Pan\u{0} x2"])), "productos[0].nombre");
        assert_eq!(
            field_of(json!([{"nombre": "Pan", "sucursal": {"nombre": "Centro\u{0}"}}])),
            "productos[0].sucursal"
        );
        let ok = NuevoTicket::from_json(&body(json!(["Pan x2b", "Leche x100000"]))).unwrap();
        assert_eq!((ok.productos[0].nombre.as_str(), ok.productos[0].cantidad), ("Pan x2b", 1));
        assert_eq!(ok.productos[1].cantidad, 100_000);
    }

    #[test]
    fn no_text_field_takes_a_nul() {
        for field in ["cliente_nombre", "cliente_direccion", "cliente_telefono", "indicaciones"] {
            let mut body = json!({"numero": "X", "cliente_nombre": "A", "total": 1});
            body[field] = json!("Ana\u{0}");
            assert_eq!(NuevoTicket::from_json(&body).unwrap_err().field, field);
        }
    }

    #[test]
    fn reads_old_and_new_timestamps() {
        assert!(parse_fecha("2024-12-01T12:34:56").is_some());
        assert!(parse_fecha("2024-12-01T12:34:56Z").is_some());
        assert!(parse_fecha("2024-12-01T12:34:56.123-03:00").is_some());
        assert!(parse_fecha("ayer").is_none());
    }
}

/// A change of a ticket's state or courier, sent by Tickets to Ahorro's
/// `POST /api/tickets` (the seed's "legacy" direction) through Tickets'
/// notify outbox. Delivery is at least once and may arrive out of order:
/// the receiver applies it only if `version` is higher than the one it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketActualizacion {
    /// Marks the body as a status update (a new ticket has no `evento`).
    pub evento: String,
    pub numero: String,
    pub ticket_id: i64,
    pub estado: Estado,
    pub repartidor: Option<String>,
    pub version: i64,
    #[serde(with = "fecha")]
    pub fecha_actualizacion: DateTime<Utc>,
    #[serde(default, with = "fecha::option")]
    pub fecha_en_camino: Option<DateTime<Utc>>,
    #[serde(default, with = "fecha::option")]
    pub fecha_entrega: Option<DateTime<Utc>>,
    #[serde(default)]
    pub motivo_cancelacion: Option<String>,
    #[serde(default)]
    pub notas_repartidor: Option<String>,
    /// Failed delivery attempts so far (left out by senders that do not count them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intentos_fallidos: Option<u32>,
    /// The last failed attempt's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motivo_intento: Option<String>,
}

impl TicketActualizacion {
    /// The same rules as every text of the contract: a receiver refuses an
    /// update it could not store (a 400 the sender parks), never fails on
    /// it later.
    pub fn validate(&self) -> Result<(), FieldError> {
        Numero::parse(&self.numero).map_err(|e| FieldError::new("numero", e))?;
        let texts = [
            ("repartidor", &self.repartidor, 200),
            ("motivo_cancelacion", &self.motivo_cancelacion, 2000),
            ("notas_repartidor", &self.notas_repartidor, 2000),
            ("motivo_intento", &self.motivo_intento, 500),
        ];
        for (field, value, max) in texts {
            if let Some(value) = value {
                bounded(field, value.clone(), max)?;
            }
        }
        Ok(())
    }
}

/// The `evento` of a [`TicketActualizacion`].
pub const EVENTO_ACTUALIZACION: &str = "ticket_actualizado";
