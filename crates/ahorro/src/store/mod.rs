//! Storage: the only place with SQL.
//!
//! One [`Store`] with one method per operation. Most SQL is portable and is
//! written once; [`on_pool!`] expands it for each backend (`$1`
//! placeholders work on both with sqlx 0.9, timestamps go through [`Ts`]).
//! Where the backends differ (claiming outbox rows) each has its own text,
//! side by side. Connection setup lives in `sqlite.rs` and `postgres.rs`.

mod postgres;
mod sqlite;
/// Timestamps that bind alike on both backends (shared with the other service).
pub mod ts {
    pub use belgrano_shared::timestamp::Ts;
}

use std::time::Duration;

use belgrano_shared::ticket::TicketCreado;
use belgrano_shared::{Centavos, TipoCliente};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::accounts::{NuevoUsuario, Perfil, Usuario};
use crate::cart::Cart;
use crate::catalog::{Categoria, Negocio, Oferta, PAGE_SIZE, ProductPage, ProductQuery, Producto, Seed, Sucursal};
use ts::Ts;

pub use belgrano_shared::store_error::StoreError;

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The shop's database, SQLite or PostgreSQL. Cheap to clone (pools).
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(sqlite::Pools),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the pool of `$store` that fits:
/// on SQLite the single writer connection, or with `read` one of the
/// connections that refuse writes (for reads outside any transaction); on
/// PostgreSQL its one pool.
macro_rules! on_pool {
    (read $store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Sqlite(pools) => {
                let $pool = &pools.readers;
                $body
            }
            Store::Postgres($pool) => $body,
        }
    };
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Sqlite(pools) => {
                let $pool = &pools.writer;
                $body
            }
            Store::Postgres($pool) => $body,
        }
    };
}

mod seguimiento;
pub use seguimiento::Seguimiento;

/// A write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock
/// up front instead of failing on upgrade); a plain transaction on
/// PostgreSQL, where row locks do the work.
trait WritePool {
    type Db: sqlx::Database;
    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
    /// A write transaction that excludes every other instance's until it
    /// ends, for check-then-insert work with no row to lock yet (seeding an
    /// empty catalogue while another instance starts at the same moment).
    fn begin_exclusive(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

/// Key of the advisory lock of [`WritePool::begin_exclusive`] ("BAHO").
const EXCLUSIVE_LOCK: i64 = 0x4241_484F;

impl WritePool for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
    async fn begin_exclusive(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        // SQLite has one writer at a time anyway.
        self.begin_write().await
    }
}

impl WritePool for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
    async fn begin_exclusive(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(EXCLUSIVE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }
}

// ---------------------------------------------------------------- rows

#[derive(sqlx::FromRow)]
struct ProductoRow {
    id: i64,
    nombre: String,
    precio: i64,
    precio_original: Option<i64>,
    negocio_id: String,
    categoria_id: String,
    stock: i64,
    destacado: bool,
    activo: bool,
    sucursales: String,
}

impl From<ProductoRow> for Producto {
    fn from(r: ProductoRow) -> Self {
        Producto {
            id: r.id,
            nombre: r.nombre,
            precio: Centavos(r.precio),
            precio_original: r.precio_original.map(Centavos),
            negocio_id: r.negocio_id,
            categoria_id: r.categoria_id,
            stock: r.stock,
            destacado: r.destacado,
            activo: r.activo,
            sucursales: serde_json::from_str(&r.sucursales).unwrap_or_default(),
        }
    }
}

const PRODUCTO_COLS: &str =
    "id, nombre, precio, precio_original, negocio_id, categoria_id, stock, destacado, activo, sucursales";

#[derive(sqlx::FromRow)]
struct UsuarioRow {
    id: i64,
    email: String,
    nombre: String,
    apellido: String,
    telefono: String,
    direccion: String,
    tipo_cliente: String,
    nombre_negocio: Option<String>,
    cuit: Option<String>,
    tipo_negocio: Option<String>,
}

impl From<UsuarioRow> for Usuario {
    fn from(r: UsuarioRow) -> Self {
        Usuario {
            id: r.id,
            email: r.email,
            nombre: r.nombre,
            apellido: r.apellido,
            telefono: r.telefono,
            direccion: r.direccion,
            tipo_cliente: r.tipo_cliente.parse().unwrap_or(TipoCliente::Cliente),
            nombre_negocio: r.nombre_negocio,
            cuit: r.cuit,
            tipo_negocio: r.tipo_negocio,
        }
    }
}

/// An order as stored, with its lines and the state of its delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pedido {
    pub id: i64,
    pub numero: String,
    pub usuario_id: Option<i64>,
    pub sesion: Option<String>,
    pub cliente_nombre: String,
    pub cliente_apellido: String,
    pub cliente_email: String,
    pub cliente_telefono: String,
    pub direccion: String,
    pub metodo_pago: String,
    pub notas: String,
    pub tipo_cliente: String,
    pub total: i64,
    pub estado: String,
    pub fecha: Ts,
    pub ticket_id: Option<i64>,
    pub ticket_estado: Option<String>,
    pub ticket_fecha_creacion: Option<Ts>,
    pub repartidor: Option<String>,
    pub fecha_actualizacion: Ts,
    /// The outbox row's state: pendiente, entregado or fallido.
    pub envio: Option<String>,
    #[sqlx(skip)]
    pub items: Vec<PedidoItem>,
    /// The tracking link's path, filled in by pages that show it.
    #[sqlx(skip)]
    pub seguimiento: String,
}

const PEDIDO_SELECT: &str = "SELECT p.id, p.numero, p.usuario_id, p.sesion, p.cliente_nombre, p.cliente_apellido, p.cliente_email, \
     p.cliente_telefono, p.direccion, p.metodo_pago, p.notas, p.tipo_cliente, p.total, p.estado, p.fecha, p.ticket_id, \
     p.ticket_estado, p.ticket_fecha_creacion, p.repartidor, p.fecha_actualizacion, o.estado AS envio \
     FROM pedidos p LEFT JOIN outbox o ON o.pedido_id = p.id";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PedidoItem {
    pub producto_id: i64,
    pub nombre: String,
    pub cantidad: i64,
    pub precio_unitario: i64,
    pub subtotal: i64,
}

/// What a checkout asks the store to commit.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub numero: String,
    pub usuario_id: Option<i64>,
    /// The placing session's token hash, for a guest.
    pub sesion: Option<String>,
    pub cliente_nombre: String,
    pub cliente_apellido: String,
    pub cliente_email: String,
    pub cliente_telefono: String,
    pub direccion: String,
    pub metodo_pago: String,
    pub notas: String,
    pub tipo_cliente: String,
    /// (producto_id, cantidad), one line per product.
    pub items: Vec<(i64, i64)>,
}

/// A product line as reserved: the current catalogue price.
#[derive(Debug, Clone)]
pub struct ReservedLine {
    pub producto_id: i64,
    pub nombre: String,
    pub negocio_id: String,
    pub cantidad: i64,
    pub precio: Centavos,
}

#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub pedido_id: i64,
    pub fecha: DateTime<Utc>,
    pub total: Centavos,
    pub lines: Vec<ReservedLine>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// `index` is the position in [`NewOrder::items`].
    #[error("producto desconocido")]
    UnknownProduct { index: usize },
    #[error("stock insuficiente")]
    NotEnoughStock { index: usize, disponible: i64 },
    #[error("número de pedido repetido")]
    DuplicateNumero,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PlaceError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) { PlaceError::DuplicateNumero } else { PlaceError::Store(e.into()) }
    }
}

/// One outbox row claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub pedido_id: i64,
    pub numero: String,
    pub payload: String,
    pub intentos: i64,
}

/// What `/metrics` shows of the outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OutboxStats {
    /// Rows waiting for delivery (first attempt or a retry).
    pub pendientes: i64,
    /// Rows Tickets refused for good, waiting for a person.
    pub fallidos: i64,
    /// Age of the oldest waiting row; `None` when none waits.
    pub oldest_pending_secs: Option<f64>,
}

/// An outbox row as an administrator sees it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub numero: String,
    pub estado: String,
    pub intentos: i64,
    pub ultimo_error: Option<String>,
    #[serde(skip)]
    pub fecha_creacion: Ts,
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
        match &store {
            Store::Sqlite(pools) => sqlx::migrate!("../../migrations/ahorro/sqlite").run(&pools.writer).await?,
            Store::Postgres(pool) => sqlx::migrate!("../../migrations/ahorro/postgres").run(pool).await?,
        }
        Ok(store)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(read self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(drop)?);
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(pools) => {
                pools.readers.close().await;
                pools.writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }

    // ------------------------------------------------------- catalogue

    /// Loads the catalogue unless products already exist (first start only,
    /// so stock and later edits survive restarts). Returns whether it did.
    pub async fn seed_catalog_if_empty(&self, seed: &Seed) -> Result<bool, StoreError> {
        on_pool!(self, |pool| {
            // Exclusive: two instances starting together must not both seed.
            let mut tx = pool.begin_exclusive().await?;
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM productos").fetch_one(&mut *tx).await?;
            if count > 0 {
                return Ok(false);
            }
            for n in &seed.negocios {
                sqlx::query(
                    "INSERT INTO negocios (id, num_id, nombre, descripcion, color) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&n.id)
                .bind(n.num_id)
                .bind(&n.nombre)
                .bind(&n.descripcion)
                .bind(&n.color)
                .execute(&mut *tx)
                .await?;
            }
            for s in &seed.sucursales {
                sqlx::query("INSERT INTO sucursales (id, num_id, negocio_id, nombre, direccion, telefono, horarios) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&s.id).bind(s.num_id).bind(&s.negocio_id).bind(&s.nombre).bind(&s.direccion).bind(&s.telefono).bind(&s.horarios)
                    .execute(&mut *tx).await?;
            }
            for c in &seed.categorias {
                sqlx::query(
                    "INSERT INTO categorias (id, num_id, nombre, descripcion, icono) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&c.id)
                .bind(c.num_id)
                .bind(&c.nombre)
                .bind(&c.descripcion)
                .bind(&c.icono)
                .execute(&mut *tx)
                .await?;
            }
            for p in &seed.productos {
                sqlx::query("INSERT INTO productos (id, nombre, nombre_busqueda, precio, precio_original, negocio_id, categoria_id, stock, destacado, activo, sucursales) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                    .bind(p.id).bind(&p.nombre).bind(crate::catalog::fold(&p.nombre)).bind(p.precio.0)
                    .bind(p.precio_original.map(|c| c.0)).bind(&p.negocio_id).bind(&p.categoria_id).bind(p.stock)
                    .bind(p.destacado).bind(p.activo).bind(serde_json::to_string(&p.sucursales)?)
                    .execute(&mut *tx).await?;
            }
            for o in &seed.ofertas {
                sqlx::query("INSERT INTO ofertas (id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&o.id).bind(&o.negocio_id).bind(&o.titulo).bind(&o.descripcion).bind(o.descuento)
                    .bind(&o.fecha_inicio).bind(&o.fecha_fin).bind(serde_json::to_string(&o.productos)?)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn negocios(&self) -> Result<Vec<Negocio>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> = on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, num_id, nombre, descripcion, color FROM negocios ORDER BY num_id").fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, num_id, nombre, descripcion, color)| Negocio { id, num_id, nombre, descripcion, color })
            .collect())
    }

    /// Categories that have at least one active product.
    pub async fn categorias(&self) -> Result<Vec<Categoria>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> = on_pool!(read self, |pool| {
            sqlx::query_as(
                "SELECT c.id, c.num_id, c.nombre, c.descripcion, c.icono FROM categorias c \
                 WHERE EXISTS (SELECT 1 FROM productos p WHERE p.categoria_id = c.id AND p.activo) ORDER BY c.num_id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, num_id, nombre, descripcion, icono)| Categoria { id, num_id, nombre, descripcion, icono })
            .collect())
    }

    pub async fn sucursales(&self, negocio_id: &str) -> Result<Vec<Sucursal>, StoreError> {
        let rows: Vec<(String, i64, String, String, String, String, String)> = on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, num_id, negocio_id, nombre, direccion, telefono, horarios FROM sucursales WHERE negocio_id = $1 ORDER BY num_id")
                .bind(negocio_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, num_id, negocio_id, nombre, direccion, telefono, horarios)| Sucursal {
                id,
                num_id,
                negocio_id,
                nombre,
                direccion,
                telefono,
                horarios,
            })
            .collect())
    }

    pub async fn ofertas(&self) -> Result<Vec<Oferta>, StoreError> {
        type OfertaRow = (String, String, String, String, i64, String, String, String);
        let rows: Vec<OfertaRow> = on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos FROM ofertas ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos)| Oferta {
                id,
                negocio_id,
                titulo,
                descripcion,
                descuento,
                fecha_inicio,
                fecha_fin,
                productos: serde_json::from_str(&productos).unwrap_or_default(),
            })
            .collect())
    }

    /// A page of active products matching the query, by id.
    pub async fn productos(&self, q: &ProductQuery) -> Result<ProductPage, StoreError> {
        // Absent filters are bound as NULL so one SQL text serves every combination.
        let filter = "activo AND ($1 IS NULL OR negocio_id = $1) AND ($2 IS NULL OR categoria_id = $2) \
                      AND ($3 IS NULL OR nombre_busqueda LIKE $3 ESCAPE '\\') AND ($4 = 0 OR destacado)";
        let list = format!("SELECT {PRODUCTO_COLS} FROM productos WHERE {filter} ORDER BY id LIMIT $5 OFFSET $6");
        let count = format!("SELECT COUNT(*) FROM productos WHERE {filter}");
        let pattern = q.like_pattern();
        let destacados = i64::from(q.destacados);
        let (rows, total): (Vec<ProductoRow>, i64) = on_pool!(read self, |pool| {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(q.negocio.as_deref())
                .bind(q.categoria.as_deref())
                .bind(pattern.as_deref())
                .bind(destacados)
                .bind(PAGE_SIZE)
                .bind(q.offset())
                .fetch_all(pool)
                .await?;
            let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count))
                .bind(q.negocio.as_deref())
                .bind(q.categoria.as_deref())
                .bind(pattern.as_deref())
                .bind(destacados)
                .fetch_one(pool)
                .await?;
            (rows, total)
        });
        Ok(ProductPage { productos: rows.into_iter().map(Into::into).collect(), total, page: q.page.max(1) })
    }

    pub async fn producto(&self, id: i64) -> Result<Option<Producto>, StoreError> {
        let sql = format!("SELECT {PRODUCTO_COLS} FROM productos WHERE id = $1");
        let row: Option<ProductoRow> =
            on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
        Ok(row.map(Into::into))
    }

    pub async fn productos_por_id(&self, ids: &[i64]) -> Result<Vec<Producto>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are integers: inlining them is safe and keeps one statement.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT {PRODUCTO_COLS} FROM productos WHERE id IN ({list})");
        let rows: Vec<ProductoRow> =
            on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    // -------------------------------------------------------- accounts

    pub async fn count_usuarios(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            on_pool!(read self, |pool| sqlx::query_as("SELECT COUNT(*) FROM usuarios").fetch_one(pool).await?);
        Ok(n)
    }

    /// Creates an account; `Ok(None)` when the email is taken.
    pub async fn create_usuario(&self, u: &NuevoUsuario) -> Result<Option<i64>, StoreError> {
        let tipo = if u.comercio.is_some() { TipoCliente::Comerciante } else { TipoCliente::Cliente };
        let result: Result<Vec<(i64,)>, sqlx::Error> = on_pool!(self, |pool| {
            sqlx::query_as(
                "INSERT INTO usuarios (email, password_hash, nombre, apellido, telefono, direccion, tipo_cliente, nombre_negocio, cuit, tipo_negocio, fecha_creacion) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(&u.email)
            .bind(&u.password_hash)
            .bind(&u.perfil.nombre)
            .bind(&u.perfil.apellido)
            .bind(&u.perfil.telefono)
            .bind(&u.perfil.direccion)
            .bind(tipo.as_str())
            .bind(u.comercio.as_ref().map(|c| c.nombre_negocio.as_str()))
            .bind(u.comercio.as_ref().map(|c| c.cuit.as_str()))
            .bind(u.comercio.as_ref().map(|c| c.tipo_negocio.as_str()))
            .bind(Ts::now())
            .fetch_all(pool)
            .await
        });
        match result {
            Ok(rows) => Ok(rows.first().map(|(id,)| *id)),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// (id, password hash) of the account with this email.
    pub async fn credentials(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, password_hash FROM usuarios WHERE email = $1").bind(email).fetch_optional(pool).await?
        }))
    }

    pub async fn usuario(&self, id: i64) -> Result<Option<Usuario>, StoreError> {
        let row: Option<UsuarioRow> = on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, email, nombre, apellido, telefono, direccion, tipo_cliente, nombre_negocio, cuit, tipo_negocio FROM usuarios WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    pub async fn update_perfil(&self, id: i64, p: &Perfil) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE usuarios SET nombre = $1, apellido = $2, telefono = $3, direccion = $4 WHERE id = $5")
                .bind(&p.nombre)
                .bind(&p.apellido)
                .bind(&p.telefono)
                .bind(&p.direccion)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn update_password(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query("UPDATE usuarios SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        usuario_id: i64,
        expira: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO sesiones (id, usuario_id, expira) VALUES ($1, $2, $3)")
                .bind(token_hash)
                .bind(usuario_id)
                .bind(Ts(expira))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// The account of a live session.
    pub async fn session_usuario(&self, token_hash: &str) -> Result<Option<Usuario>, StoreError> {
        let row: Option<UsuarioRow> = on_pool!(read self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.nombre, u.apellido, u.telefono, u.direccion, u.tipo_cliente, u.nombre_negocio, u.cuit, u.tipo_negocio \
                 FROM sesiones s JOIN usuarios u ON u.id = s.usuario_id WHERE s.id = $1 AND s.expira > $2",
            )
            .bind(token_hash)
            .bind(Ts::now())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(Into::into))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query("DELETE FROM sesiones WHERE id = $1")
            .bind(token_hash)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    // ----------------------------------------------------------- carts

    pub async fn cart(&self, owner: &str) -> Result<Cart, StoreError> {
        let row: Option<(String,)> = on_pool!(read self, |pool| sqlx::query_as("SELECT items FROM carritos WHERE owner = $1").bind(owner).fetch_optional(pool).await?);
        Ok(row.map(|(items,)| serde_json::from_str(&items).unwrap_or_default()).unwrap_or_default())
    }

    /// Stores a cart; an empty cart is deleted.
    pub async fn save_cart(&self, owner: &str, cart: &Cart) -> Result<(), StoreError> {
        if cart.is_empty() {
            on_pool!(self, |pool| sqlx::query("DELETE FROM carritos WHERE owner = $1")
                .bind(owner)
                .execute(pool)
                .await?
                .rows_affected());
            return Ok(());
        }
        let items = serde_json::to_string(cart)?;
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO carritos (owner, items, fecha_actualizacion) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner) DO UPDATE SET items = excluded.items, fecha_actualizacion = excluded.fecha_actualizacion",
            )
            .bind(owner)
            .bind(items)
            .bind(Ts::now())
            .execute(pool)
            .await?
                .rows_affected()
        });
        Ok(())
    }

    // ---------------------------------------------------------- orders

    /// The checkout transaction: reserves stock for every line (refusing the
    /// whole order if one line cannot be served), writes the order, its
    /// lines and its outbox row, and commits them together. `payload`
    /// builds the outbox body from the priced lines.
    pub async fn place_order(
        &self,
        order: &NewOrder,
        payload: impl FnOnce(&PlacedOrder) -> String,
    ) -> Result<PlacedOrder, PlaceError> {
        // Lock rows in id order so concurrent checkouts cannot deadlock.
        let mut order_items: Vec<(usize, i64, i64)> =
            order.items.iter().enumerate().map(|(i, (id, q))| (i, *id, *q)).collect();
        order_items.sort_by_key(|(_, id, _)| *id);
        let now = Ts::now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut lines = Vec::with_capacity(order_items.len());
            for (index, producto_id, cantidad) in &order_items {
                let reserved: Vec<(String, String, i64)> = sqlx::query_as(
                    "UPDATE productos SET stock = stock - $1 WHERE id = $2 AND activo AND stock >= $1 RETURNING nombre, negocio_id, precio",
                )
                .bind(cantidad)
                .bind(producto_id)
                .fetch_all(&mut *tx)
                .await?;
                let Some((nombre, negocio_id, precio)) = reserved.into_iter().next() else {
                    let found: Option<(i64, bool)> =
                        sqlx::query_as("SELECT stock, activo FROM productos WHERE id = $1")
                            .bind(producto_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    return Err(match found {
                        Some((stock, true)) => PlaceError::NotEnoughStock { index: *index, disponible: stock },
                        _ => PlaceError::UnknownProduct { index: *index },
                    });
                };
                lines.push((
                    *index,
                    ReservedLine {
                        producto_id: *producto_id,
                        nombre,
                        negocio_id,
                        cantidad: *cantidad,
                        precio: Centavos(precio),
                    },
                ));
            }
            // Back to the customer's order for the ticket and the receipt.
            lines.sort_by_key(|(i, _)| *i);
            let lines: Vec<ReservedLine> = lines.into_iter().map(|(_, l)| l).collect();
            let total: Centavos = lines.iter().map(|l| l.precio * l.cantidad).sum();
            let ids: Vec<(i64,)> = sqlx::query_as(
                "INSERT INTO pedidos (numero, usuario_id, cliente_nombre, cliente_apellido, cliente_email, cliente_telefono, direccion, \
                 metodo_pago, notas, tipo_cliente, total, estado, fecha, fecha_actualizacion, sesion) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pendiente', $12, $12, $13) RETURNING id",
            )
            .bind(&order.numero)
            .bind(order.usuario_id)
            .bind(&order.cliente_nombre)
            .bind(&order.cliente_apellido)
            .bind(&order.cliente_email)
            .bind(&order.cliente_telefono)
            .bind(&order.direccion)
            .bind(&order.metodo_pago)
            .bind(&order.notas)
            .bind(&order.tipo_cliente)
            .bind(total.0)
            .bind(now)
            .bind(order.sesion.as_deref())
            .fetch_all(&mut *tx)
            .await?;
            let pedido_id =
                ids.first().map(|(id,)| *id).ok_or_else(|| StoreError::Corrupt("INSERT returned no id".into()))?;
            for line in &lines {
                sqlx::query(
                    "INSERT INTO pedido_items (pedido_id, producto_id, nombre, cantidad, precio_unitario, subtotal) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(pedido_id)
                .bind(line.producto_id)
                .bind(&line.nombre)
                .bind(line.cantidad)
                .bind(line.precio.0)
                .bind((line.precio * line.cantidad).0)
                .execute(&mut *tx)
                .await?;
            }
            let placed = PlacedOrder { pedido_id, fecha: now.0, total, lines };
            sqlx::query(
                "INSERT INTO outbox (pedido_id, numero, payload, estado, intentos, proximo_intento, fecha_creacion) \
                 VALUES ($1, $2, $3, 'pendiente', 0, $4, $4)",
            )
            .bind(pedido_id)
            .bind(&order.numero)
            .bind(payload(&placed))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(placed)
        })
    }

    pub async fn pedido(&self, numero: &str) -> Result<Option<Pedido>, StoreError> {
        let sql = format!("{PEDIDO_SELECT} WHERE p.numero = $1");
        let row: Option<Pedido> = on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(numero).fetch_optional(pool).await?);
        let Some(mut pedido) = row else { return Ok(None) };
        pedido.items = self.pedido_items(pedido.id).await?;
        Ok(Some(pedido))
    }

    /// An account's orders, newest first, with their lines.
    pub async fn pedidos_de(&self, usuario_id: i64, limit: i64) -> Result<Vec<Pedido>, StoreError> {
        let sql = format!("{PEDIDO_SELECT} WHERE p.usuario_id = $1 ORDER BY p.id DESC LIMIT $2");
        let mut rows: Vec<Pedido> = on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(usuario_id).bind(limit).fetch_all(pool).await?);
        if rows.is_empty() {
            return Ok(rows);
        }
        // One query for every order's lines (ids are integers: safe to inline).
        let ids = rows.iter().map(|p| p.id.to_string()).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT pedido_id, producto_id, nombre, cantidad, precio_unitario, subtotal FROM pedido_items WHERE pedido_id IN ({ids}) ORDER BY id"
        );
        let items: Vec<(i64, i64, String, i64, i64, i64)> =
            on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        for (pedido_id, producto_id, nombre, cantidad, precio_unitario, subtotal) in items {
            if let Some(p) = rows.iter_mut().find(|p| p.id == pedido_id) {
                p.items.push(PedidoItem { producto_id, nombre, cantidad, precio_unitario, subtotal });
            }
        }
        Ok(rows)
    }

    /// (number of orders, total spent in centavos) of an account.
    pub async fn order_stats(&self, usuario_id: i64) -> Result<(i64, i64), StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM pedidos WHERE usuario_id = $1")
                .bind(usuario_id)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Drops expired sessions and guest carts untouched for 30 days.
    pub async fn purge_expired(&self) -> Result<(), StoreError> {
        let now = Ts::now();
        let stale = Ts(now.0 - chrono::Duration::days(30));
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sesiones WHERE expira < $1").bind(now).execute(pool).await?;
            sqlx::query("DELETE FROM carritos WHERE owner LIKE 's:%' AND fecha_actualizacion < $1")
                .bind(stale)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    async fn pedido_items(&self, pedido_id: i64) -> Result<Vec<PedidoItem>, StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as("SELECT producto_id, nombre, cantidad, precio_unitario, subtotal FROM pedido_items WHERE pedido_id = $1 ORDER BY id")
                .bind(pedido_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// A delivery Tickets accepted: the order learns its ticket (step 6)
    /// and the outbox row is closed, in one transaction.
    pub async fn record_delivery(
        &self,
        outbox_id: i64,
        pedido_id: i64,
        creado: &TicketCreado,
    ) -> Result<(), StoreError> {
        let now = Ts::now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE pedidos SET ticket_id = $1, ticket_estado = COALESCE(ticket_estado, $2), ticket_fecha_creacion = $3, \
                 repartidor = COALESCE(repartidor, $4), fecha_actualizacion = $5 WHERE id = $6",
            )
            .bind(creado.ticket_id)
            .bind(creado.estado.as_str())
            .bind(Ts(creado.fecha_creacion))
            .bind(creado.repartidor_asignado.as_deref())
            .bind(now)
            .bind(pedido_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE outbox SET estado = 'entregado', intentos = intentos + 1, bloqueado_hasta = NULL, ultimo_error = NULL, fecha_entrega = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A status update from Tickets. With a `version`, it applies only if
    /// newer than the last one applied (updates may arrive late or twice).
    /// Returns false when no such order exists.
    pub async fn apply_ticket_update(
        &self,
        numero: &str,
        ticket_id: Option<i64>,
        estado: &str,
        repartidor: Option<&str>,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let exists: Option<(i64,)> = on_pool!(self, |pool| sqlx::query_as("SELECT id FROM pedidos WHERE numero = $1")
            .bind(numero)
            .fetch_optional(pool)
            .await?);
        if exists.is_none() {
            return Ok(false);
        }
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE pedidos SET ticket_estado = $1, repartidor = $2, ticket_id = COALESCE($3, ticket_id), \
                 ticket_version = COALESCE($4, ticket_version), fecha_actualizacion = $5 \
                 WHERE numero = $6 AND ($4 IS NULL OR ticket_version < $4)",
            )
            .bind(estado)
            .bind(repartidor)
            .bind(ticket_id)
            .bind(version)
            .bind(Ts::now())
            .bind(numero)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(true)
    }

    // ---------------------------------------------------------- outbox

    /// Claims up to `limit` due rows for `lease`. A claim that is not
    /// settled in time (the instance died) expires and the row is claimed
    /// again. PostgreSQL skips rows another instance is claiming right now.
    pub async fn claim_due(&self, limit: i64, lease: Duration) -> Result<Vec<OutboxItem>, StoreError> {
        let now = Ts::now();
        let until = Ts(now.0 + chrono::Duration::from_std(lease).unwrap_or_default());
        let rows = match self {
            Store::Sqlite(pools) => {
                let mut tx = pools.writer.begin_write().await?;
                let rows = sqlx::query_as(
                    "UPDATE outbox SET bloqueado_hasta = $1 WHERE id IN (SELECT id FROM outbox WHERE estado = 'pendiente' \
                     AND proximo_intento <= $2 AND (bloqueado_hasta IS NULL OR bloqueado_hasta < $2) ORDER BY id LIMIT $3) \
                     RETURNING id, pedido_id, numero, payload, intentos",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                rows
            }
            Store::Postgres(pool) => {
                sqlx::query_as(
                    "UPDATE outbox SET bloqueado_hasta = $1 WHERE id IN (SELECT id FROM outbox WHERE estado = 'pendiente' \
                     AND proximo_intento <= $2 AND (bloqueado_hasta IS NULL OR bloqueado_hasta < $2) ORDER BY id LIMIT $3 \
                     FOR UPDATE SKIP LOCKED) RETURNING id, pedido_id, numero, payload, intentos",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows)
    }

    pub async fn mark_delivered(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET estado = 'entregado', intentos = intentos + 1, bloqueado_hasta = NULL, ultimo_error = NULL, fecha_entrega = $1 WHERE id = $2",
            )
            .bind(Ts::now())
            .bind(id)
            .execute(pool)
            .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn mark_retry(&self, id: i64, error: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET intentos = intentos + 1, bloqueado_hasta = NULL, ultimo_error = $1, proximo_intento = $2 WHERE id = $3 AND estado = 'pendiente'",
            )
            .bind(error)
            .bind(Ts(at))
            .bind(id)
            .execute(pool)
            .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Parks a row that Tickets refused for good, for a person to look at.
    pub async fn mark_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE outbox SET estado = 'fallido', intentos = intentos + 1, bloqueado_hasta = NULL, ultimo_error = $1 WHERE id = $2 AND estado = 'pendiente'")
                .bind(error)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Makes every waiting row due now (Tickets answered again, so the
    /// backlog need not sit out its backoff).
    pub async fn expedite_waiting(&self) -> Result<u64, StoreError> {
        let now = Ts::now();
        let done = on_pool!(self, |pool| {
            sqlx::query("UPDATE outbox SET proximo_intento = $1 WHERE estado = 'pendiente' AND proximo_intento > $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    pub async fn failed_deliveries(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as("SELECT id, numero, estado, intentos, ultimo_error, fecha_creacion FROM outbox WHERE estado = 'fallido' ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Puts a parked row back in the queue. False if it is not parked.
    pub async fn retry_failed(&self, id: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET estado = 'pendiente', proximo_intento = $1 WHERE id = $2 AND estado = 'fallido'",
            )
            .bind(Ts::now())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// The outbox at a glance, for `/metrics`: one query over the undelivered
    /// rows (found through the `estado` index).
    pub async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let rows: Vec<(String, i64, Option<Ts>)> = on_pool!(read self, |pool| {
            sqlx::query_as(
                "SELECT estado, COUNT(*), MIN(fecha_creacion) FROM outbox WHERE estado IN ('pendiente', 'fallido') GROUP BY estado",
            )
            .fetch_all(pool)
            .await?
        });
        let mut stats = OutboxStats::default();
        for (estado, count, oldest) in rows {
            if estado == "pendiente" {
                stats.pendientes = count;
                stats.oldest_pending_secs =
                    oldest.map(|t| ((Utc::now() - t.0).num_milliseconds() as f64 / 1000.0).max(0.0));
            } else {
                stats.fallidos = count;
            }
        }
        Ok(stats)
    }

    /// Orders per ticket state (`pendiente` until Tickets confirmed one).
    pub async fn pedidos_por_estado(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as("SELECT COALESCE(ticket_estado, 'pendiente'), COUNT(*) FROM pedidos GROUP BY COALESCE(ticket_estado, 'pendiente')")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Rows not yet delivered (pending, failed), for `/health`.
    pub async fn outbox_backlog(&self) -> Result<(i64, i64), StoreError> {
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN estado = 'pendiente' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN estado = 'fallido' THEN 1 ELSE 0 END), 0) FROM outbox WHERE estado <> 'entregado'",
            )
            .fetch_one(pool)
            .await?
        }))
    }
}
