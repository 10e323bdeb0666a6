//! Storage: the only place with SQL.
//!
//! One [`Store`] type with one method per operation; each method runs its
//! backend's own SQL (`sqlite.rs`, `postgres.rs`, side by side), because the
//! two differ in locking, timestamps and JSON. Rows decode into the shared
//! row types below, so the rest of the service never sees a backend.

pub mod accounts;
mod intake;
mod lifecycle;
mod postgres;
mod sqlite;
/// Timestamps that bind alike on both backends (shared with the other service).
pub mod ts {
    pub use belgrano_shared::timestamp::Ts;
}
pub(crate) mod write;

pub use lifecycle::{CourierOption, HistoryEntry, OutboxItem};

use std::collections::HashMap;

use belgrano_shared::Centavos;
use belgrano_shared::estado::{Estado, MetodoPago, Prioridad, TipoCliente};
use belgrano_shared::ticket::{Producto, Ticket};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};

use crate::assign::CourierLoad;
use crate::intake::StoredTicket;
use ts::Ts;
use write::{WritePool, on_pool};

pub use belgrano_shared::store_error::StoreError;

/// The ticket database, SQLite or PostgreSQL. Cheap to clone (a pool).
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
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
        let store = if url.starts_with("sqlite:") {
            Store::Sqlite(sqlite::connect(url).await?)
        } else {
            Store::Postgres(postgres::connect(url).await?)
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("../../migrations/tickets/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("../../migrations/tickets/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A real round trip, for `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Store::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }

    /// Creates the given couriers unless some courier already exists
    /// (demo data belongs to the first start only). Returns how many it made.
    pub async fn seed_couriers_if_none(&self, couriers: &[NewCourier]) -> Result<usize, StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (existing,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'flota'").fetch_one(&mut *tx).await?;
            if existing > 0 {
                return Ok(0);
            }
            let now = Ts::now();
            for c in couriers {
                sqlx::query(
                    "INSERT INTO users (email, nombre, telefono, role, created_at) VALUES ($1, $2, $3, 'flota', $4)",
                )
                .bind(&c.email)
                .bind(&c.nombre)
                .bind(&c.telefono)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(couriers.len())
        })
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        let row: Option<TicketRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(ticket_select!(), " WHERE t.id = $1")).bind(id).fetch_optional(pool).await?
        });
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
        let pattern = f.q.as_deref().map(like_pattern);
        let rows: Vec<TicketRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                ticket_select!(),
                " WHERE ($1 IS NULL OR t.estado = $1)
                    AND ($2 IS NULL OR t.repartidor_id = $2)
                    AND ($3 IS NULL OR lower(u.nombre) = $3)
                    AND ($4 = FALSE OR t.repartidor_id IS NULL)
                    AND ($5 IS NULL OR t.fecha_creacion >= $5)
                    AND ($6 IS NULL OR t.fecha_creacion < $6)
                    AND ($7 IS NULL OR lower(t.numero) LIKE $7 OR lower(t.cliente_nombre) LIKE $7
                         OR lower(t.cliente_direccion) LIKE $7)
                    AND ($8 IS NULL OR t.id < $8)
                  ORDER BY t.id DESC LIMIT $9 OFFSET $10"
            ))
            .bind(f.estado.map(|e| e.as_str()))
            .bind(courier_id)
            .bind(&courier_name)
            .bind(unassigned)
            .bind(f.desde.map(Ts))
            .bind(f.hasta.map(Ts))
            .bind(&pattern)
            .bind(f.before_id)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(TicketRow::into_ticket).collect()
    }
}

/// Every column of a ticket plus its courier's name; portable SQL.
macro_rules! ticket_select {
    () => {
        "SELECT t.id, t.numero, t.cliente_nombre, t.cliente_direccion, t.cliente_telefono, t.cliente_email,
                CAST(t.productos AS TEXT) AS productos, t.total_centavos, t.metodo_pago, t.estado, t.prioridad,
                t.indicaciones, t.tipo_cliente, t.repartidor_id, u.nombre AS repartidor, t.notas_repartidor,
                t.motivo_cancelacion, t.version, t.fecha_creacion, t.fecha_asignacion, t.fecha_en_camino,
                t.fecha_entrega, t.fecha_actualizacion
         FROM tickets t LEFT JOIN users u ON u.id = t.repartidor_id"
    };
}
pub(crate) use ticket_select;

/// `%text%`, lower-cased, for free-text search. LIKE's own wildcards are
/// dropped: free text has no use for them.
fn like_pattern(q: &str) -> String {
    let cleaned: String = q.to_lowercase().chars().filter(|c| *c != '%' && *c != '_').collect();
    format!("%{cleaned}%")
}

/// The columns every ticket query selects, in both backends.
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
}

fn parse_enum<T: std::str::FromStr<Err = String>>(raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(StoreError::Corrupt)
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
            metodo_pago: self.metodo_pago.as_deref().map(parse_enum::<MetodoPago>).transpose()?,
            estado: parse_enum(&self.estado)?,
            prioridad: parse_enum::<Prioridad>(&self.prioridad)?,
            indicaciones: self.indicaciones,
            tipo_cliente: parse_enum::<TipoCliente>(&self.tipo_cliente)?,
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
            estado: parse_enum(&self.estado)?,
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
