//! Building and running the service. Tests bind port 0 and read the real
//! port from [`Application::port`].

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::accounts::{self, Comercio, NuevoUsuario, Perfil};
use crate::catalog::Seed;
use crate::checkout::CheckoutService;
use crate::config::Settings;
use crate::http::{self, AppState};
use crate::outbox::{Deliveries, DeliveryWorker};
use crate::store::Store;
use crate::tickets_client::TicketsClient;
use crate::tracking::Novedades;

/// The demo accounts of a development database: (email, password).
pub const DEMO_CLIENTE: (&str, &str) = ("cliente@belgrano.local", "cliente1234");
pub const DEMO_COMERCIANTE: (&str, &str) = ("comerciante@belgrano.local", "comerciante1234");

pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    store: Store,
    worker: tokio::task::JoinHandle<()>,
    stop_worker: watch::Sender<bool>,
    novedades: Novedades,
}

impl Application {
    /// Connects the database (running migrations), seeds the catalogue at
    /// first start, starts the delivery worker and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // The recorder must exist before the worker counts its first attempt.
        belgrano_shared::observability::prometheus();
        if settings.uses_legacy_api_key() {
            tracing::warn!(
                "⚠️  BELGRANO_AHORRO_API_KEY no está configurada: se usa la clave pública del sistema anterior (sólo desarrollo)."
            );
        }
        if settings.uses_dev_secret() {
            tracing::warn!("⚠️  SECRET_KEY no está configurada: se usa el secreto público de desarrollo.");
        }
        if settings.outbox_lease <= belgrano_shared::retry::REQUEST_TIMEOUT {
            tracing::warn!(
                lease = ?settings.outbox_lease,
                "OUTBOX_LEASE_SECS no supera el tiempo de espera de un envío (10 s): otra instancia podría reenviar un pedido en curso"
            );
        }
        let store = Store::connect(&settings.database_url).await.context("connecting to the database")?;
        store.purge_expired().await?;
        if store.seed_catalog_if_empty(&Seed::bundled()).await? {
            tracing::info!("catálogo inicial cargado (137 productos)");
        }
        if settings.seed_demo_users && store.count_usuarios().await? == 0 {
            seed_demo_users(&store).await?;
        }

        let tickets = TicketsClient::new(&settings.ticketera_url, settings.api_keys.outgoing());
        let deliveries = Deliveries::default();
        let (stop_worker, worker_stopped) = watch::channel(false);
        let worker = tokio::spawn(
            DeliveryWorker::new(store.clone(), tickets.clone(), deliveries.clone(), settings.outbox_lease)
                .run(worker_stopped),
        );
        let novedades = Novedades::default();
        let state = AppState {
            checkout: CheckoutService::new(store.clone(), deliveries.clone(), settings.checkout_wait),
            settings: Arc::new(settings.clone()),
            store: store.clone(),
            deliveries,
            tickets,
            novedades: novedades.clone(),
            login_throttle: Default::default(),
        };
        let router = http::router(state);
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        Ok(Self { listener, port, router, store, worker, stop_worker, novedades })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes requests in flight,
    /// lets the worker finish its deliveries in flight (unsent rows stay in
    /// the outbox) and closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(
            port = self.port,
            backend = self.store.backend(),
            "Belgrano Ahorro escuchando en el puerto {}",
            self.port
        );
        // Open tracking streams never finish on their own: end them when
        // the stop begins, or the graceful stop would wait for them.
        let novedades = self.novedades.clone();
        let shutdown = async move {
            shutdown.await;
            novedades.close();
        };
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await?;
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        self.store.close().await;
        tracing::info!("Belgrano Ahorro detenido");
        Ok(())
    }
}

async fn seed_demo_users(store: &Store) -> anyhow::Result<()> {
    let perfil = |nombre: &str, apellido: &str| Perfil {
        nombre: nombre.into(),
        apellido: apellido.into(),
        telefono: "011-5555-1234".into(),
        direccion: "Av. Cabildo 1234, Belgrano".into(),
    };
    store
        .create_usuario(&NuevoUsuario {
            email: DEMO_CLIENTE.0.into(),
            password_hash: accounts::hash_password(DEMO_CLIENTE.1.into()).await?,
            perfil: perfil("Juan", "Pérez"),
            comercio: None,
        })
        .await?;
    store
        .create_usuario(&NuevoUsuario {
            email: DEMO_COMERCIANTE.0.into(),
            password_hash: accounts::hash_password(DEMO_COMERCIANTE.1.into()).await?,
            perfil: perfil("Marta", "Gómez"),
            comercio: Some(Comercio {
                nombre_negocio: "Almacén Don Pepe".into(),
                cuit: "20-12345678-6".into(),
                tipo_negocio: "almacén".into(),
            }),
        })
        .await?;
    tracing::info!(
        "cuentas de demostración: {} / {} y {} / {}",
        DEMO_CLIENTE.0,
        DEMO_CLIENTE.1,
        DEMO_COMERCIANTE.0,
        DEMO_COMERCIANTE.1
    );
    Ok(())
}

/// The `ahorro` binary: settings from the environment, serve until
/// SIGTERM or Ctrl-C. Exits with status 2 on bad configuration.
pub async fn run_from_env() -> anyhow::Result<()> {
    crate::init_tracing(belgrano_shared::runtime::Environment::from_process().is_production());
    let settings = belgrano_shared::runtime::settings_or_exit("Belgrano Ahorro", Settings::from_env());
    Application::build(settings).await?.run_until_stopped().await
}

pub use belgrano_shared::runtime::shutdown_signal;
