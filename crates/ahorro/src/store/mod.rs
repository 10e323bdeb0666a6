//! Storage: the only place with SQL, one file per section of the shop.
//!
//! [`Store`] wraps the platform's [`Db`] (SQLite with one writer and
//! `query_only` readers, or a PostgreSQL pool of 16 connections) and runs
//! Ahorro's migrations. Every statement is one portable text with `$1`
//! placeholders, written once for both backends; each function says how it
//! touches the database: `db.read()` for reads outside a transaction,
//! `db.write()` for single writes, `db.begin_write()` for a write
//! transaction, `db.begin_exclusive(EXCLUSIVE)` for check-then-insert work.
//!
//! - [`catalogo`]: seeding and reading the catalogue;
//! - [`vitrina`]: the shop window, the catalogue the shop's pages show,
//!   kept in memory ([`snapshot`], as the delivery settings are);
//! - [`usuarios`]: accounts (sessions and failed logins are the platform's
//!   `sessions` and `login_failures` tables);
//! - [`cuentas`]: erasing an account (its orders kept, anonymised);
//! - [`carritos`]: carts by owner;
//! - [`pedidos`]: the checkout transaction, orders, Tickets' reports;
//! - [`paquetes`]: merchants' bundles and placing one as an order;
//! - [`entrega`]: zones, windows and their places, saved addresses;
//! - [`seguimiento`]: what tracking pages and streams read;
//! - [`outbox`]: the outbox table the platform worker empties;
//! - [`correos`]: the mails' outbox, queued with what causes them;
//! - [`contactos`]: contact form messages, kept with their mail;
//! - [`imagenes`]: product photos (the re-encoded files, by hash);
//! - [`backoffice`]: what the back office reads about orders (filters,
//!   CSV, their history) and the dashboard's figures.

mod backoffice;
mod carritos;
mod catalogo;
mod contactos;
pub mod correos;
mod cuentas;
mod entrega;
mod imagenes;
pub mod outbox;
mod paquetes;
mod pedidos;
mod seguimiento;
mod snapshot;
mod usuarios;
mod vitrina;

use belgrano_platform::db::{Db, Lock, Migrations, Options};
use belgrano_platform::outbox::Outbox;
use sqlx::migrate::Migrator;

pub use backoffice::{FiltroPedidos, Historia, PanelHoy};
pub use belgrano_platform::db::StoreError;
pub use cuentas::CLIENTE_ELIMINADO;
pub use paquetes::{Corrida, Origen, PaqueteRefusal, Resultado};
pub use usuarios::{StaffRefusal, Upserted};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/ahorro/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/ahorro/postgres");

/// Connections of the PostgreSQL pool.
pub const POSTGRES_CONNECTIONS: u32 = 16;

/// The advisory lock of Ahorro's exclusive transactions ("BAHO"), so they
/// never wait for Tickets' on a shared server.
pub const EXCLUSIVE: Lock = Lock(0x4241_484F);

/// Why the checkout transaction (`Store::place_pedido`) wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// `index` is the position in `NuevoPedido::items`.
    #[error("producto desconocido")]
    UnknownProduct { index: usize },
    #[error("stock insuficiente")]
    NotEnoughStock { index: usize, disponible: i64 },
    #[error("número de pedido repetido")]
    DuplicateNumero,
    /// The subtotal is under the zone's minimum.
    #[error("pedido bajo el mínimo")]
    UnderMinimum { minimo: belgrano_contract::Centavos, subtotal: belgrano_contract::Centavos },
    /// No window asked for has a place left.
    #[error("franja completa")]
    WindowFull,
    /// A row read at the start changed before this transaction changed it:
    /// a product's stock (or every window read as open) went to concurrent
    /// checkouts, or the back office changed a price or deactivated a
    /// product. Nothing stays; the same checkout tried again reads anew.
    #[error("el catálogo o la franja cambiaron durante el pedido")]
    Contended,
    /// `paga_con` is less than the total.
    #[error("paga con menos que el total")]
    PagaConShort { total: belgrano_contract::Centavos },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PlaceError {
    fn from(e: StoreError) -> Self {
        // The only unique key a checkout can hit is the order number.
        if e.is_unique_violation() { PlaceError::DuplicateNumero } else { PlaceError::Store(e) }
    }
}

/// The shop's database. Cheap to clone (pools).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    outbox: Outbox,
    correos: Outbox,
    enlaces: std::sync::Arc<correos::Enlaces>,
    vitrina: std::sync::Arc<snapshot::Snapshot<crate::domain::vitrina::Vitrina>>,
    ajustes: std::sync::Arc<snapshot::Snapshot<crate::domain::entrega::Ajustes>>,
}

impl Store {
    /// Connects (creating a SQLite file and its folder if missing) and runs
    /// the migrations of the chosen backend.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = Options {
            migrations: Migrations { sqlite: &SQLITE_MIGRATIONS, postgres: &POSTGRES_MIGRATIONS },
            postgres_schema: "ahorro",
            postgres_connections: POSTGRES_CONNECTIONS,
        };
        let db = Db::connect(url, options).await?;
        let outbox = Outbox::new(db.clone(), outbox::TABLE);
        let correos = Outbox::new(db.clone(), correos::TABLE);
        Ok(Self {
            db,
            outbox,
            correos,
            enlaces: Default::default(),
            vitrina: Default::default(),
            ajustes: Default::default(),
        })
    }

    /// The links mails carry (`PUBLIC_URL`, `SECRET_KEY`); development's
    /// defaults until set.
    pub fn with_enlaces(self, enlaces: correos::Enlaces) -> Self {
        Self { enlaces: std::sync::Arc::new(enlaces), ..self }
    }

    /// The database, for the platform's mechanisms over it (sessions,
    /// failed logins).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The orders' outbox to Tickets.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The mails' outbox.
    pub fn correos_outbox(&self) -> &Outbox {
        &self.correos
    }
}
