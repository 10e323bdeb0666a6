//! Storage: the only place with SQL.
//!
//! One [`Store`] with one method per operation, grouped by section:
//! tickets as read (here), intake ([`intake`]), changes and their history
//! ([`lifecycle`]), accounts ([`accounts`]), mails (`correos`). Statements
//! are written once for both backends (`$n` placeholders, [`Ts`] timestamps, `CAST(... AS TEXT)`
//! to read JSON) through `belgrano_platform::db`; where the backends differ
//! the text says so beside it. Rows decode into the row types below, so the
//! rest of the service never sees a backend.
//!
//! Every write that touches tickets, couriers' loads or events holds the
//! desk's lock ([`Store::begin`]): on PostgreSQL an advisory lock, so
//! intake's idempotency check and couriers' loads stay exact across
//! instances and event sequence numbers commit in order; on SQLite the one
//! writer does the same.

pub mod accounts;
mod correos;
mod intake;
mod lifecycle;
#[cfg(test)]
mod upgrade_tests;

pub use lifecycle::{CourierOption, HistoryEntry};

use std::collections::HashMap;

use belgrano_contract::Centavos;
use belgrano_contract::estado::{Estado, MetodoPago, Prioridad, TipoCliente};
use belgrano_contract::ticket::{Producto, Ticket};
use belgrano_platform::db::{Db, Lock, Migrations, Options, Sql, Ts, Tx, parse_stored, sql};
use belgrano_platform::outbox::{Outbox, Table};
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;

use crate::domain::assign::CourierLoad;
use crate::domain::intake::StoredTicket;
use crate::domain::reports::ReportTicket;

pub use belgrano_platform::db::StoreError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/tickets/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/tickets/postgres");

/// The desk's lock ("BTIK"), see the module docs.
const DESK: Lock = Lock(0x4254_494B);

/// The status updates waiting to reach Ahorro (one row per ticket version).
pub const NOTIFY_OUTBOX: Table = Table { name: "notify_outbox", subject: "numero" };

/// The ticket database, SQLite or PostgreSQL. Cheap to clone (pools).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    notify: Outbox,
    correos: Outbox,
}

/// Filters of `GET /api/tickets`.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub estado: Option<Estado>,
    pub repartidor: Option<CourierFilter>,
    pub desde: Option<DateTime<Utc>>,
    pub hasta: Option<DateTime<Utc>>,
    /// Free text over numero, cliente and dirección.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Keyset paging: only tickets with a smaller id.
    pub before_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourierFilter {
    Id(i64),
    Nombre(String),
    Unassigned,
}

/// A courier account, for seeding and listings.
#[derive(Debug, Clone)]
pub struct NewCourier {
    pub email: String,
    pub nombre: String,
    pub telefono: Option<String>,
}

impl Store {
    /// Connects (creating a SQLite file and its folder if missing) and runs
    /// the migrations of the chosen backend.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let migrations = Migrations { sqlite: &SQLITE_MIGRATIONS, postgres: &POSTGRES_MIGRATIONS };
        let db = Db::connect(url, Options { migrations, postgres_schema: "tickets", postgres_connections: 10 }).await?;
        let notify = Outbox::new(db.clone(), NOTIFY_OUTBOX);
        let correos = Outbox::new(db.clone(), correos::TABLE);
        Ok(Self { db, notify, correos })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The status updates for Ahorro.
    pub fn notify_outbox(&self) -> &Outbox {
        &self.notify
    }

    /// A write transaction holding the desk's lock.
    async fn begin(&self) -> Result<Tx, StoreError> {
        self.db.begin_exclusive(DESK).await
    }

    /// Creates the given couriers unless some courier already exists
    /// (demo data belongs to the first start only). Returns how many it made.
    pub async fn seed_couriers_if_none(&self, couriers: &[NewCourier]) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let (existing,): (i64,) = sql("SELECT COUNT(*) FROM usuarios WHERE role = 'flota'").fetch_one(&mut tx).await?;
        if existing > 0 {
            return Ok(0);
        }
        let now = Ts::now();
        for c in couriers {
            sql("INSERT INTO usuarios (email, nombre, telefono, role, created_at) VALUES ($1, $2, $3, 'flota', $4)")
                .bind(&c.email)
                .bind(&c.nombre)
                .bind(&c.telefono)
                .bind(now)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(couriers.len())
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        let row: Option<TicketRow> = ticket_select(" WHERE t.id = $1").bind(id).fetch_optional(self.db.read()).await?;
        row.map(TicketRow::into_ticket).transpose()
    }

    /// Tickets newest first.
    pub async fn tickets(&self, f: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let (courier_id, courier_name, unassigned) = match &f.repartidor {
            None => (None, None, false),
            Some(CourierFilter::Id(id)) => (Some(*id), None, false),
            Some(CourierFilter::Nombre(name)) => (None, Some(name.to_lowercase()), false),
            Some(CourierFilter::Unassigned) => (None, None, true),
        };
        // Absent filters are bound as NULL so one text serves every combination.
        let rows: Vec<TicketRow> = ticket_select(
            " WHERE ($1 IS NULL OR t.estado = $1)
                AND ($2 IS NULL OR t.repartidor_id = $2)
                AND ($3 IS NULL OR lower(u.nombre) = $3)
                AND ($4 = FALSE OR t.repartidor_id IS NULL)
                AND ($5 IS NULL OR t.fecha_creacion >= $5)
                AND ($6 IS NULL OR t.fecha_creacion < $6)
                AND ($7 IS NULL OR lower(t.numero) LIKE $7 OR lower(t.cliente_nombre) LIKE $7
                     OR lower(t.cliente_direccion) LIKE $7)
                AND ($8 IS NULL OR t.id < $8)
              ORDER BY t.id DESC LIMIT $9 OFFSET $10",
        )
        .bind(f.estado.map(|e| e.as_str()))
        .bind(courier_id)
        .bind(courier_name)
        .bind(unassigned)
        .bind(f.desde.map(Ts))
        .bind(f.hasta.map(Ts))
        .bind(f.q.as_deref().map(like_pattern))
        .bind(f.before_id)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(TicketRow::into_ticket).collect()
    }

    /// A courier's open tickets, the most urgent first, then the oldest.
    pub async fn open_tickets_of(&self, courier_id: i64) -> Result<Vec<Ticket>, StoreError> {
        let rows: Vec<TicketRow> = ticket_select(
            " WHERE t.repartidor_id = $1 AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')
              ORDER BY CASE t.prioridad WHEN 'alta' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, t.id",
        )
        .bind(courier_id)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(TicketRow::into_ticket).collect()
    }

    /// How many tickets are in each state (every state listed).
    pub async fn count_by_state(&self) -> Result<Vec<(Estado, i64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sql("SELECT estado, COUNT(*) FROM tickets GROUP BY estado").fetch_all(self.db.read()).await?;
        Ok(Estado::ALL
            .iter()
            .map(|e| (*e, rows.iter().find(|(s, _)| s == e.as_str()).map(|(_, n)| *n).unwrap_or(0)))
            .collect())
    }

    /// The tickets created in `[desde, hasta)`, as much as reports need.
    pub async fn report_tickets(
        &self,
        desde: DateTime<Utc>,
        hasta: DateTime<Utc>,
    ) -> Result<Vec<ReportTicket>, StoreError> {
        let rows: Vec<ReportRow> = sql("SELECT t.numero, t.estado, u.nombre AS repartidor, t.total_centavos,
                    t.intentos_fallidos, t.entrega, t.fecha_creacion, t.fecha_entrega
               FROM tickets t LEFT JOIN usuarios u ON u.id = t.repartidor_id
              WHERE t.fecha_creacion >= $1 AND t.fecha_creacion < $2")
        .bind(Ts(desde))
        .bind(Ts(hasta))
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|r| {
                let entrega: Option<belgrano_contract::ticket::EntregaTicket> = r
                    .entrega
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("entrega of ticket {}: {e}", r.numero)))?;
                Ok(ReportTicket {
                    estado: parse_stored(&r.estado)?,
                    intentos_fallidos: u32::try_from(r.intentos_fallidos)
                        .map_err(|_| StoreError::Corrupt(format!("intentos_fallidos of ticket {}", r.numero)))?,
                    numero: r.numero,
                    repartidor: r.repartidor,
                    total: Centavos(r.total_centavos),
                    franja: entrega.map(|e| e.franja),
                    fecha_creacion: r.fecha_creacion,
                    fecha_entrega: r.fecha_entrega,
                })
            })
            .collect()
    }
}

/// What the reports read of a ticket.
#[derive(Debug, sqlx::FromRow)]
struct ReportRow {
    numero: String,
    estado: String,
    repartidor: Option<String>,
    total_centavos: i64,
    intentos_fallidos: i64,
    entrega: Option<String>,
    fecha_creacion: DateTime<Utc>,
    fecha_entrega: Option<DateTime<Utc>>,
}

/// Every column of a ticket plus its courier's name, then `tail`.
fn ticket_select(tail: &str) -> Sql {
    let mut q = Sql::build(TICKET_SELECT);
    q.push(tail);
    q
}

const TICKET_SELECT: &str = "SELECT t.id, t.numero, t.cliente_nombre, t.cliente_direccion, t.cliente_telefono,
        t.cliente_email, CAST(t.productos AS TEXT) AS productos, t.total_centavos, t.metodo_pago, t.estado,
        t.prioridad, t.indicaciones, t.tipo_cliente, t.repartidor_id, u.nombre AS repartidor, t.notas_repartidor,
        t.motivo_cancelacion, t.version, t.fecha_creacion, t.fecha_asignacion, t.fecha_en_camino, t.fecha_entrega,
        t.fecha_actualizacion, t.entrega, t.cobro, t.intentos_fallidos, t.motivo_intento
   FROM tickets t LEFT JOIN usuarios u ON u.id = t.repartidor_id";

/// `%text%`, lower-cased, for free-text search. LIKE's own wildcards are
/// dropped: free text has no use for them.
fn like_pattern(q: &str) -> String {
    let cleaned: String = q.to_lowercase().chars().filter(|c| *c != '%' && *c != '_').collect();
    format!("%{cleaned}%")
}

/// The columns every ticket query selects.
#[derive(Debug, sqlx::FromRow)]
struct TicketRow {
    id: i64,
    numero: String,
    cliente_nombre: String,
    cliente_direccion: Option<String>,
    cliente_telefono: Option<String>,
    cliente_email: Option<String>,
    productos: String,
    total_centavos: i64,
    metodo_pago: Option<String>,
    estado: String,
    prioridad: String,
    indicaciones: Option<String>,
    tipo_cliente: String,
    repartidor_id: Option<i64>,
    repartidor: Option<String>,
    notas_repartidor: Option<String>,
    motivo_cancelacion: Option<String>,
    version: i64,
    fecha_creacion: DateTime<Utc>,
    fecha_asignacion: Option<DateTime<Utc>>,
    fecha_en_camino: Option<DateTime<Utc>>,
    fecha_entrega: Option<DateTime<Utc>>,
    fecha_actualizacion: DateTime<Utc>,
    entrega: Option<String>,
    cobro: Option<String>,
    intentos_fallidos: i64,
    motivo_intento: Option<String>,
}

impl TicketRow {
    fn into_ticket(self) -> Result<Ticket, StoreError> {
        let productos: Vec<Producto> = serde_json::from_str(&self.productos)
            .map_err(|e| StoreError::Corrupt(format!("productos of ticket {}: {e}", self.id)))?;
        Ok(Ticket {
            id: self.id,
            numero: self.numero,
            cliente_nombre: self.cliente_nombre,
            cliente_direccion: self.cliente_direccion,
            cliente_telefono: self.cliente_telefono,
            cliente_email: self.cliente_email,
            productos,
            total: Centavos(self.total_centavos).pesos(),
            metodo_pago: self.metodo_pago.as_deref().map(parse_stored::<MetodoPago>).transpose()?,
            estado: parse_stored(&self.estado)?,
            prioridad: parse_stored::<Prioridad>(&self.prioridad)?,
            indicaciones: self.indicaciones,
            tipo_cliente: parse_stored::<TipoCliente>(&self.tipo_cliente)?,
            repartidor: self.repartidor,
            repartidor_id: self.repartidor_id,
            notas_repartidor: self.notas_repartidor,
            motivo_cancelacion: self.motivo_cancelacion,
            version: self.version,
            fecha_creacion: self.fecha_creacion,
            fecha_asignacion: self.fecha_asignacion,
            fecha_en_camino: self.fecha_en_camino,
            fecha_entrega: self.fecha_entrega,
            fecha_actualizacion: self.fecha_actualizacion,
            entrega: self
                .entrega
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("entrega of ticket {}: {e}", self.id)))?,
            cobro: self
                .cobro
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("cobro of ticket {}: {e}", self.id)))?,
            intentos_fallidos: u32::try_from(self.intentos_fallidos)
                .map_err(|_| StoreError::Corrupt(format!("intentos_fallidos of ticket {}", self.id)))?,
            motivo_intento: self.motivo_intento,
        })
    }
}

/// What intake reads back about a stored numero.
#[derive(Debug, sqlx::FromRow)]
struct StoredTicketRow {
    id: i64,
    numero: String,
    payload_hash: String,
    estado: String,
    repartidor: Option<String>,
    fecha_creacion: DateTime<Utc>,
    cliente_nombre: String,
    total_centavos: i64,
}

impl StoredTicketRow {
    fn into_stored(self) -> Result<StoredTicket, StoreError> {
        Ok(StoredTicket {
            id: self.id,
            numero: self.numero,
            payload_hash: self.payload_hash,
            estado: parse_stored(&self.estado)?,
            repartidor: self.repartidor,
            fecha_creacion: self.fecha_creacion,
            cliente_nombre: self.cliente_nombre,
            total: Centavos(self.total_centavos),
        })
    }
}

fn stored_by_numero(rows: Vec<StoredTicketRow>) -> Result<HashMap<String, StoredTicket>, StoreError> {
    rows.into_iter().map(|r| r.into_stored().map(|s| (s.numero.clone(), s))).collect()
}

/// The available couriers and their open loads (a counter kept with every
/// ticket change), read inside the desk's lock so they are exact. `$1`
/// leaves one courier out (the one whose tickets are being handed on), or
/// none when NULL.
const COURIER_LOADS: &str = "
    SELECT u.id, u.nombre, u.last_assigned_at, CAST(u.open_tickets AS BIGINT) AS open_tickets
      FROM usuarios u
     WHERE u.role = 'flota' AND u.activo = TRUE AND u.disponible = TRUE AND ($1 IS NULL OR u.id <> $1)";

#[derive(Debug, sqlx::FromRow)]
struct CourierLoadRow {
    id: i64,
    nombre: String,
    open_tickets: i64,
    last_assigned_at: Option<DateTime<Utc>>,
}

impl From<CourierLoadRow> for CourierLoad {
    fn from(r: CourierLoadRow) -> Self {
        CourierLoad { id: r.id, nombre: r.nombre, open_tickets: r.open_tickets, last_assigned_at: r.last_assigned_at }
    }
}

/// The available couriers' loads, except `except`'s.
async fn courier_loads(tx: &mut Tx, except: Option<i64>) -> Result<Vec<CourierLoad>, StoreError> {
    let rows: Vec<CourierLoadRow> = sql(COURIER_LOADS).bind(except).fetch_all(tx).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
